"""Which responses an export holds: the sample (combined / panel / balanced) and flags.

Rules (docs/design.md "exports"):
- Responses that count: completed and abandoned (break-offs keep their answers; the
  cleaning run flags them `incomplete`). Responses still in progress are left out.
- A response is flagged when its wave's latest finished CleaningRun holds a QualityFlag for
  it that no FlagOverride (same response and rule) cancels. Flagged responses are left out
  unless `include_flagged`; flags of older runs no longer count.
- A person is a PanelMember; a response without one is its own one-wave person.
- One row per person and wave: when a person answered a wave twice (kept only with
  `include_flagged`, since cleaning flags such duplicates), the completed, then the
  latest, response is kept.
- combined: everyone kept; panel: people seen in at least two of the chosen waves;
  balanced: people seen in every chosen wave. "Seen" is counted after the flag filter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils.translation import gettext_noop

from config.anyof import AnyOf
from exports.anonymise.pseudonyms import person_reference
from exports.dataset import SampleName
from exports.texts import translate_to
from respondents.models import (
    CleaningRun,
    CleaningRunStatus,
    FlagOverride,
    QualityFlag,
    Response,
    ResponseStatus,
    Wave,
)

SAMPLES: tuple[SampleName, ...] = ("combined", "panel", "balanced")
EXPORTED_STATUSES = (ResponseStatus.COMPLETED, ResponseStatus.ABANDONED)
# Rows fetched per round trip while listing a wave's responses (ids and keys only).
LIST_CHUNK = 5000

ERROR_NO_WAVES = "choose at least one wave to export"
ERROR_DUPLICATE_WAVES = "wave {wave_id} is listed twice"
ERROR_UNKNOWN_WAVES = "waves {wave_ids} do not belong to study {study_id}"
ERROR_UNKNOWN_SAMPLE = "sample must be one of {choices} (got {sample!r})"

SAMPLE_DEFINITIONS: Mapping[SampleName, str] = {
    "combined": gettext_noop("Combined: every kept response of the chosen waves"),
    "panel": gettext_noop("Panel: people seen in at least two of the chosen waves"),
    "balanced": gettext_noop("Balanced: people seen in every chosen wave"),
}
DEFINITION = gettext_noop(
    "{sample}. Waves: {waves}. Completed and broken-off responses; {flags}; {repeats} repeat "
    "responses of a person in a wave left out. {people} people, {responses} responses."
)
FLAGGED_INCLUDED = gettext_noop("flagged responses included")
FLAGGED_LEFT_OUT = gettext_noop("{n} flagged responses left out")


EMPTY_SAMPLE_NEEDS: Mapping[SampleName, str] = {
    "combined": "any",
    "panel": "two or more",
    "balanced": "every one",
}


class SampleError(ValueError):
    """The export's waves or sample are not valid; the message names the problem."""


@dataclass(frozen=True)
class WaveInfo:
    id: int
    name: str
    # 1-based position among all the study's waves in fielding order: the `_wN` suffix.
    number: int
    version_id: int


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    response_id: int
    wave_id: int
    person: str
    is_completed: bool


@dataclass(frozen=True, slots=True)
class SampledResponse:
    response_id: int
    wave_id: int
    person: str


@dataclass(frozen=True)
class Sample:
    name: SampleName
    waves: tuple[WaveInfo, ...]
    responses: tuple[SampledResponse, ...]
    people: int
    flagged_left_out: int
    repeats_left_out: int
    include_flagged: bool
    # Completed and broken-off responses of the chosen waves, before any filter.
    considered: int = 0

    @property
    def empty_reason(self) -> str:
        """Why the sample holds no response ("" when it holds some)."""
        if self.responses:
            return ""
        if self.considered == 0:
            return "the chosen waves hold no completed or broken-off responses"
        if self.flagged_left_out == self.considered:
            return (
                f"all {self.considered} responses are flagged by the cleaning: add "
                "--include-flagged (include_flagged in the API) to export them"
            )
        return (
            f"nobody took part in {EMPTY_SAMPLE_NEEDS[self.name]} of the chosen waves: "
            "choose the combined sample or other waves"
        )

    @property
    def definition(self) -> str:
        return self.describe("en")

    def describe(self, language: str) -> str:
        """The sample's definition in words, in `language`."""

        def tr(message: str) -> str:
            return translate_to(language, message)

        waves = ", ".join(f"{wave.name} (w{wave.number})" for wave in self.waves)
        flags = (
            tr(FLAGGED_INCLUDED)
            if self.include_flagged
            else tr(FLAGGED_LEFT_OUT).format(n=self.flagged_left_out)
        )
        return tr(DEFINITION).format(
            sample=tr(SAMPLE_DEFINITIONS[self.name]),
            waves=waves,
            flags=flags,
            repeats=self.repeats_left_out,
            people=self.people,
            responses=len(self.responses),
        )


def study_waves(study_id: int, wave_ids: Iterable[int]) -> tuple[WaveInfo, ...]:
    """The chosen waves in fielding order, refusing unknown or repeated ids."""
    chosen = list(wave_ids)
    if not chosen:
        raise SampleError(ERROR_NO_WAVES)
    seen: set[int] = set()
    for wave_id in chosen:
        if wave_id in seen:
            raise SampleError(ERROR_DUPLICATE_WAVES.format(wave_id=wave_id))
        seen.add(wave_id)
    ordered = Wave.objects.filter(study_id=study_id).order_by("opens_at", "created_at", "pk")
    waves = [
        WaveInfo(id=pk, name=name, number=number, version_id=version_id)
        for number, (pk, name, version_id) in enumerate(
            ordered.values_list("pk", "name", "version_id"), start=1
        )
        if pk in seen
    ]
    missing = seen - {wave.id for wave in waves}
    if missing:
        raise SampleError(ERROR_UNKNOWN_WAVES.format(wave_ids=sorted(missing), study_id=study_id))
    return tuple(waves)


def latest_runs(wave_ids: Iterable[int]) -> dict[int, int]:
    """Wave id -> id of its latest finished cleaning run (waves never cleaned are absent)."""
    runs: dict[int, int] = {}
    rows = (
        CleaningRun.objects.filter(wave_id__in=list(wave_ids), status=CleaningRunStatus.FINISHED)
        .order_by("wave_id", "-started_at", "-pk")
        .values_list("wave_id", "pk")
    )
    for wave_id, run_id in rows:
        runs.setdefault(wave_id, run_id)
    return runs


def _current_flag_rows(wave_ids: Iterable[int]) -> QuerySet[QualityFlag]:
    """The flags of the waves' latest runs that no active override cancels."""
    overridden = FlagOverride.objects.active().filter(
        response=OuterRef("response"), rule=OuterRef("rule")
    )
    return QualityFlag.objects.filter(run_id__in=list(latest_runs(wave_ids).values())).exclude(
        Exists(overridden)
    )


def current_flags(wave_ids: Iterable[int]) -> dict[int, set[str]]:
    """Response id -> rules flagged by its wave's latest run and not overridden."""
    found: dict[int, set[str]] = defaultdict(set)
    rows = _current_flag_rows(wave_ids).values_list("response_id", "rule")
    for response_id, rule in rows.iterator(chunk_size=LIST_CHUNK):
        found[response_id].add(rule)
    return dict(found)


def flagged_rules(wave_ids: Iterable[int]) -> list[str]:
    """The rules `current_flags` holds, each once, in name order."""
    rows = _current_flag_rows(wave_ids).values_list("rule", flat=True).distinct()
    return sorted(set(rows))


def select_sample(
    study_id: int,
    wave_ids: Iterable[int],
    *,
    sample: SampleName,
    include_flagged: bool,
) -> Sample:
    if sample not in SAMPLES:
        raise SampleError(ERROR_UNKNOWN_SAMPLE.format(choices=", ".join(SAMPLES), sample=sample))
    waves = study_waves(study_id, wave_ids)
    chosen_ids = [wave.id for wave in waves]
    responses = Response.objects.filter(wave_id__in=chosen_ids, status__in=EXPORTED_STATUSES)
    flagged_left_out = 0
    if not include_flagged:
        # Left out by the database (an anti-join): at 10^6 responses a wave, a Python set
        # of the flagged ids and a record of every response before the filter held about
        # 600 MB, and the flags' DISTINCT took 12-21 s.
        flagged = Exists(_current_flag_rows(chosen_ids).filter(response=OuterRef("pk")))
        flagged_left_out = responses.filter(flagged).count()
        responses = responses.exclude(flagged)
    kept = [
        ResponseRecord(
            response_id=pk,
            wave_id=wave_id,
            person=person_reference(member_id=member_id, response_id=pk),
            is_completed=status == ResponseStatus.COMPLETED,
        )
        for pk, wave_id, member_id, status in responses.values_list(
            "pk", "wave_id", "member_id", "status"
        ).iterator(chunk_size=LIST_CHUNK)
    ]
    one_per_wave = one_response_per_person_and_wave(kept, started_at)
    chosen = choose_people(one_per_wave, len(chosen_ids), sample)
    return Sample(
        name=sample,
        waves=waves,
        responses=tuple(chosen),
        people=len({row.person for row in chosen}),
        flagged_left_out=flagged_left_out,
        repeats_left_out=len(kept) - len(one_per_wave),
        include_flagged=include_flagged,
        considered=len(kept) + flagged_left_out,
    )


def started_at(response_ids: Sequence[int]) -> dict[int, datetime]:
    """Response id -> when it was started."""
    rows = Response.objects.filter(AnyOf(F("pk"), list(response_ids))).values_list(
        "pk", "started_at"
    )
    return dict(rows.iterator(chunk_size=LIST_CHUNK))


def one_response_per_person_and_wave(
    records: Iterable[ResponseRecord], started: Callable[[Sequence[int]], Mapping[int, datetime]]
) -> list[SampledResponse]:
    """Each person's response in each wave: the completed one, then the latest started,
    then the highest id. `started` is asked only for the responses of a person who
    answered a wave more than once: reading every response's start time would cost an
    export more than all the rest of the sampling."""
    records = list(records)
    if len({(r.person, r.wave_id) for r in records}) == len(records):
        # Nobody answered a wave twice (cleaning flags such repeats): all are kept.
        return [SampledResponse(r.response_id, r.wave_id, r.person) for r in records]
    kept: dict[tuple[str, int], list[ResponseRecord]] = {}
    for record in records:
        kept.setdefault((record.person, record.wave_id), []).append(record)
    repeats = [r.response_id for rows in kept.values() if len(rows) > 1 for r in rows]
    times = started(repeats) if repeats else {}

    def preference(record: ResponseRecord) -> tuple[bool, datetime, int]:
        return (record.is_completed, times[record.response_id], record.response_id)

    chosen = (rows[0] if len(rows) == 1 else max(rows, key=preference) for rows in kept.values())
    return [
        SampledResponse(response_id=r.response_id, wave_id=r.wave_id, person=r.person)
        for r in chosen
    ]


def choose_people(
    responses: list[SampledResponse], wave_count: int, sample: SampleName
) -> list[SampledResponse]:
    """Keep the responses of the people the sample asks for."""
    if sample == "combined":
        return responses
    needed = 2 if sample == "panel" else wave_count
    waves_seen: dict[str, int] = defaultdict(int)
    for response in responses:
        waves_seen[response.person] += 1
    return [r for r in responses if waves_seen[r.person] >= needed]
