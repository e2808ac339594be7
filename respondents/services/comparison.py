"""The study's distribution of each harmonised item beside uploaded reference distributions.

Rule: for each concept that has reference rows (surveys.services.references), the study's
side is the latest fielded wave whose questionnaire has an item harmonised with it; its
completes are counted by the answer's choice code (Choice.code, the source's code for
harmonised items), shares taken over those who answered. A reference category is matched
to the study's choice of the same code; categories only one side has still show.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from respondents.services.study_figures import answer_distribution, fielded_waves
from surveys.models import Choice, Question, ReferenceDistribution, Study


@dataclass(frozen=True)
class ComparisonRow:
    category: str
    label: str
    # Share of the study's answers; then one share per reference series (None: absent).
    study_share: float | None
    reference_shares: tuple[float | None, ...]


@dataclass(frozen=True)
class Comparison:
    concept: str
    item: str
    wave_name: str
    answered: int
    # "WVS-7 DE", ... in the order of reference_shares.
    series: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]


def _study_side(
    study: Study, concept: str, language: str
) -> tuple[Question, str, dict[str, tuple[str, int]]] | None:
    for wave in fielded_waves(study).select_related("version").reverse():
        question = Question.objects.filter(version=wave.version, harmonise=concept).first()
        if question is None:
            continue
        codes = dict(
            Choice.objects.filter(choice_list_id=question.choice_list_id).values_list(
                "name", "code"
            )
        )
        by_code: dict[str, tuple[str, int]] = {}
        for share in answer_distribution(wave, question, language):
            if not share.key:
                continue
            code = str(codes.get(share.key, share.key))
            by_code[code] = (share.label, share.count)
        return question, wave.name, by_code
    return None


def compare_with_references(study: Study, *, language: str = "en") -> list[Comparison]:
    references: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for concept, source, country, category, share in ReferenceDistribution.objects.filter(
        study=study
    ).values_list("concept", "source", "country", "category", "share"):
        references[concept][f"{source} {country}"][category] = share
    comparisons = []
    for concept in sorted(references):
        side = _study_side(study, concept, language)
        series = tuple(sorted(references[concept]))
        counts = side[2] if side else {}
        answered = sum(count for _, count in counts.values())
        categories = sorted(
            set(counts) | {c for name in series for c in references[concept][name]},
            key=lambda code: (
                not code.lstrip("-").isdigit(),
                int(code) if code.lstrip("-").isdigit() else 0,
                code,
            ),
        )
        rows = tuple(
            ComparisonRow(
                category=code,
                label=counts[code][0] if code in counts else code,
                study_share=counts[code][1] / answered if code in counts and answered else None,
                reference_shares=tuple(references[concept][name].get(code) for name in series),
            )
            for code in categories
        )
        comparisons.append(
            Comparison(
                concept=concept,
                item=side[0].name if side else "",
                wave_name=side[1] if side else "",
                answered=answered,
                series=series,
                rows=rows,
            )
        )
    return comparisons
