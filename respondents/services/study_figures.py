"""A study's figures across its waves: what the dashboard's first screen quotes.

Definitions (per-wave figures are respondents.services.figures, whose definitions apply):
- the study's waves are those ever opened (state other than draft), in fielding order
  (opening time, then creation);
- a participant is a panel member with a completed response; open-link responses without a
  panel member cannot be linked across waves and count only in per-wave completes;
- "took part more than once": participants with completes in two or more of the waves;
  "in all waves": participants with a complete in every one of them;
- the study's panel response rate: invited members who completed / invitations sent,
  summed over the waves;
- the funnel: participants of the first wave, then of those the ones who also completed the
  second, then also the third, and so on (retention from wave to wave of one cohort);
- country of residence: the answer to the version's item harmonised with the concept
  `country_of_residence`, else to an item named `country_of_residence` or `country`;
  labelled with the choice label in the requested language.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.fields.json import KT

from respondents.models import Response, ResponseStatus, Wave, WaveState
from respondents.services.figures import WaveFigures, wave_figures
from surveys.models import Choice, Question, QuestionnaireVersion, Study

COUNTRY_CONCEPT = "country_of_residence"
COUNTRY_ITEM_NAMES = ("country_of_residence", "country")
NOT_ANSWERED = ""


@dataclass(frozen=True)
class FunnelStep:
    wave_id: int
    wave_name: str
    # Participants who completed this wave and every earlier one.
    people: int
    # Share of the previous step (None for the first).
    kept: float | None


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    count: int
    share: float


@dataclass(frozen=True)
class WaveReport:
    wave: Wave
    figures: WaveFigures
    countries: tuple[Share, ...]


@dataclass(frozen=True)
class StudyFigures:
    study_id: int
    waves: tuple[WaveReport, ...]
    completes: int
    participants: int
    more_than_once: int
    in_all_waves: int
    invited: int
    invited_completed: int
    panel_response_rate: float | None
    funnel: tuple[FunnelStep, ...]


def fielded_waves(study: Study) -> QuerySet[Wave]:
    return (
        Wave.objects.filter(study=study)
        .exclude(state=WaveState.DRAFT)
        .order_by("opens_at", "created_at", "pk")
    )


def _completers_by_wave(waves: list[Wave]) -> dict[int, set[int]]:
    people: dict[int, set[int]] = defaultdict(set)
    rows = (
        Response.objects.filter(
            wave__in=waves, status=ResponseStatus.COMPLETED, member__isnull=False
        )
        .values_list("wave_id", "member_id")
        .distinct()
    )
    for wave_id, member_id in rows.iterator(chunk_size=10_000):
        people[wave_id].add(member_id)
    return people


def _funnel(waves: list[Wave], people: dict[int, set[int]]) -> tuple[FunnelStep, ...]:
    steps: list[FunnelStep] = []
    cohort: set[int] | None = None
    for wave in waves:
        previous = len(cohort) if cohort is not None else None
        cohort = set(people[wave.pk]) if cohort is None else cohort & people[wave.pk]
        kept = len(cohort) / previous if previous else None
        steps.append(FunnelStep(wave.pk, wave.name, len(cohort), kept))
    return tuple(steps)


def country_question(version: QuestionnaireVersion) -> Question | None:
    """The version's country-of-residence item, by the rule in the module docstring."""
    questions: QuerySet[Question] = Question.objects.filter(version=version)
    found = questions.filter(harmonise=COUNTRY_CONCEPT).order_by("position").first()
    if found is not None:
        return found
    for name in COUNTRY_ITEM_NAMES:
        found = questions.filter(name=name).first()
        if found is not None:
            return found
    return None


def choice_labels(question: Question, language: str) -> dict[str, str]:
    if question.choice_list_id is None:
        return {}
    labels: dict[str, str] = {}
    for name, texts in Choice.objects.filter(choice_list_id=question.choice_list_id).values_list(
        "name", "labels"
    ):
        labels[name] = texts.get(language) or next(iter(texts.values()), name) or name
    return labels


def answer_distribution(wave: Wave, question: Question, language: str) -> tuple[Share, ...]:
    """Completes by their answer to a single-choice (or text) item, largest first."""
    counts = (
        Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETED)
        .annotate(answer=KT(f"answers__{question.name}"))
        .values_list("answer")
        .annotate(n=Count("pk"))
        .order_by()
    )
    tally: dict[str, int] = defaultdict(int)
    for answer, n in counts:
        tally[answer or NOT_ANSWERED] += n
    total = sum(tally.values())
    labels = choice_labels(question, language)
    rows = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    return tuple(
        Share(key, labels.get(key, key), n, n / total if total else 0.0) for key, n in rows
    )


def study_figures(study: Study, *, language: str = "en") -> StudyFigures:
    waves = list(fielded_waves(study).select_related("version"))
    reports = []
    for wave in waves:
        question = country_question(wave.version)
        countries = answer_distribution(wave, question, language) if question else ()
        reports.append(WaveReport(wave, wave_figures(wave), countries))
    people = _completers_by_wave(waves)
    waves_per_person: dict[int, int] = defaultdict(int)
    for members in people.values():
        for member_id in members:
            waves_per_person[member_id] += 1
    invited = sum(report.figures.invited for report in reports)
    invited_completed = sum(report.figures.invited_completed for report in reports)
    return StudyFigures(
        study_id=study.pk,
        waves=tuple(reports),
        completes=sum(report.figures.completes for report in reports),
        participants=len(waves_per_person),
        more_than_once=sum(1 for n in waves_per_person.values() if n >= 2),
        in_all_waves=sum(1 for n in waves_per_person.values() if waves and n == len(waves)),
        invited=invited,
        invited_completed=invited_completed,
        panel_response_rate=invited_completed / invited if invited else None,
        funnel=_funnel(waves, people),
    )
