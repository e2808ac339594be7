"""build_dataset: the anonymised Dataset the writers and the codebook read.

Order of work (issue 6; methods.md 5.6):
1. sample the responses (exports/sampling.py) and merge the waves' versions by item name
   (exports/items.py); identifier items and all contact data are never read into a column;
2. first pass over the answers, quasi-identifiers only: coarsen and make the release
   k-anonymous (exports/anonymise/kanon.py, per wave in the long layout), and write the
   disclosure report;
3. `chunks()` streams the rows in random order in batches of responses (memory bounded):
   answers to columns (exports/columns.py), pid from the per-export key, scrubbed free
   text, the released quasi-identifier values, and the wide layout if asked.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from exports import columns as col
from exports.anonymise import kanon
from exports.anonymise.disclosure import disclosure_report
from exports.anonymise.pseudonyms import Pseudonymiser, new_export_key
from exports.anonymise.scrub import WITHHELD, scrub_all
from exports.catalogue import Catalogue, build_catalogue
from exports.dataset import Dataset, ExportSpec
from exports.layouts import PERSON, widen_frame, widen_variables
from exports.sampling import Sample, SampledResponse, current_flags, select_sample
from respondents.models import QualityFlag, Response, ResponseStatus
from surveys.models import Study

# Responses fetched and turned into rows per chunk: a few MB of JSON answers at 200 items.
BATCH_RESPONSES = 2000
FETCH_CHUNK = 500

ERROR_K = "k must be at least 1 (got {k})"


class AssemblyError(ValueError):
    """The export cannot be built as asked; the message names the problem."""


def build_dataset(spec: ExportSpec) -> Dataset:
    if spec.k < 1:
        raise AssemblyError(ERROR_K.format(k=spec.k))
    study = Study.objects.get(pk=spec.study_id)
    sample = select_sample(
        spec.study_id, spec.wave_ids, sample=spec.sample, include_flagged=spec.include_flagged
    )
    flags = current_flags(w.id for w in sample.waves)
    catalogue = build_catalogue(sample, flags, spec)
    released, report, quasi_notes = _anonymise_quasi(spec, sample, catalogue)
    catalogue = catalogue.with_quasi_notes(quasi_notes, report["suppressions"])
    variables = [c.variable for c in catalogue.columns]
    if spec.layout == "wide":
        variables = widen_variables(variables, catalogue.item_waves, sample.waves)
    rows = sample.people if spec.layout == "wide" else len(sample.responses)
    pseudonymiser = Pseudonymiser(spec.pseudonym_key or new_export_key())

    def chunks() -> Iterator[pd.DataFrame]:
        for batch in _batches(sample, spec):
            frame = _rows(batch, catalogue, flags, spec)
            if spec.layout == "wide":
                frame = widen_frame(frame, variables, sample.waves)
                frame = _apply_released(frame, released, key=frame[PERSON])
            else:
                frame = _apply_released(frame, released, key=frame.index)
            frame[PERSON] = frame[PERSON].map(pseudonymiser.pid)
            frame = frame.rename(columns={PERSON: "pid"})
            yield frame[[v.name for v in variables]].reset_index(drop=True)

    return Dataset(
        variables=variables,
        chunks=chunks,
        rows=rows,
        sample_definition=sample.definition,
        cleaning_rules=catalogue.cleaning_rules,
        disclosure_report=report,
        missing_scheme=dict(col.MISSING_SCHEME),
        title=study.title,
        notes=catalogue.notes,
    )


def _batches(sample: Sample, spec: ExportSpec) -> Iterator[list[SampledResponse]]:
    """Responses in random order; in the wide layout a person's responses stay together."""
    shuffler = secrets.SystemRandom()
    if spec.layout == "long":
        order = list(sample.responses)
        shuffler.shuffle(order)
        for start in range(0, len(order), BATCH_RESPONSES):
            yield order[start : start + BATCH_RESPONSES]
        return
    people: dict[str, list[SampledResponse]] = {}
    for response in sample.responses:
        people.setdefault(response.person, []).append(response)
    persons = list(people)
    shuffler.shuffle(persons)
    batch: list[SampledResponse] = []
    for person in persons:
        batch.extend(people[person])
        if len(batch) >= BATCH_RESPONSES:
            yield batch
            batch = []
    if batch:
        yield batch


def _fetch(batch: Sequence[SampledResponse]) -> dict[int, tuple[Any, ...]]:
    wanted = [r.response_id for r in batch]
    fields = ("pk", "status", "started_at", "completed_at", "answers")
    rows = Response.objects.filter(pk__in=wanted).values_list(*fields)
    return {row[0]: row for row in rows.iterator(chunk_size=FETCH_CHUNK)}


def _rows(
    batch: Sequence[SampledResponse],
    catalogue: Catalogue,
    flags: dict[int, set[str]],
    spec: ExportSpec,
    *,
    quasi_only: bool = False,
) -> pd.DataFrame:
    """One row per response of the batch, in batch order, internal person key kept."""
    fetched = _fetch(batch)
    ids = [r.response_id for r in batch]
    meta = pd.DataFrame(
        {
            PERSON: [r.person for r in batch],
            "wave": [float(catalogue.wave_numbers[r.wave_id]) for r in batch],
            "version": [float(catalogue.version_numbers[r.wave_id]) for r in batch],
        },
        index=ids,
    )
    parts = []
    for wave_id in {r.wave_id for r in batch}:
        in_wave = [r.response_id for r in batch if r.wave_id == wave_id]
        raw = pd.DataFrame.from_records(
            [fetched[i][4] or {} for i in in_wave], index=in_wave
        ).astype("object")
        abandoned = pd.Series(
            [fetched[i][1] == ResponseStatus.ABANDONED for i in in_wave], index=in_wave
        )
        group = col.Group(raw=raw, abandoned=abandoned)
        version_id = catalogue.wave_versions[wave_id]
        part = {}
        for column in catalogue.quasi_columns if quasi_only else catalogue.item_columns:
            item = column.item
            if item is not None:  # item columns always name their item
                part[column.variable.name] = column.compute(
                    item, item.versions.get(version_id), group
                )
        parts.append(pd.DataFrame(part, index=in_wave))
    items = pd.concat(parts) if parts else pd.DataFrame(index=ids)
    frame = pd.concat([meta, items.reindex(ids)], axis=1)
    if not quasi_only:
        _add_quality(frame, fetched, flags, catalogue, batch)
        _free_text(frame, catalogue, spec)
    return frame


def _add_quality(
    frame: pd.DataFrame,
    fetched: dict[int, tuple[Any, ...]],
    flags: dict[int, set[str]],
    catalogue: Catalogue,
    batch: Sequence[SampledResponse],
) -> None:
    ids = list(frame.index)
    frame["complete"] = [float(fetched[i][1] == ResponseStatus.COMPLETED) for i in ids]
    frame["duration"] = [
        (fetched[i][3] - fetched[i][2]).total_seconds()
        if fetched[i][3] is not None
        else float(col.BREAK_OFF)
        for i in ids
    ]
    cleaned = {r.response_id: r.wave_id in catalogue.cleaned_waves for r in batch}
    for rule, name in catalogue.flag_columns.items():
        frame[name] = [
            float(rule in flags.get(i, ())) if cleaned[i] else float(col.BREAK_OFF) for i in ids
        ]
    frame["flagged"] = [
        float(bool(flags.get(i))) if cleaned[i] else float(col.BREAK_OFF) for i in ids
    ]
    scores = dict(
        QualityFlag.objects.filter(
            response_id__in=ids, rule="speeder", run_id__in=catalogue.run_ids
        ).values_list("response_id", "score")
    )
    frame["speed_index"] = [_score(scores.get(i)) for i in ids]


def _score(score: float | None) -> float:
    return float(col.BREAK_OFF) if score is None else float(score)


def _free_text(frame: pd.DataFrame, catalogue: Catalogue, spec: ExportSpec) -> None:
    for column in catalogue.columns:
        if not column.is_free_text:
            continue
        name = column.variable.name
        values = frame[name].astype(str).tolist()
        if spec.free_text == "withhold":
            frame[name] = [WITHHELD if v else "" for v in values]
        else:
            frame[name] = scrub_all(values)[0]


def _anonymise_quasi(
    spec: ExportSpec, sample: Sample, catalogue: Catalogue
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, list[str]]]:
    quasi = catalogue.quasi_specs
    if not sample.responses:
        report = disclosure_report(
            pd.DataFrame(), [], k=spec.k, group=None, suppressions={}, coarsening={}
        )
        return pd.DataFrame(), report, {}
    parts = [
        _rows(batch, catalogue, {}, spec, quasi_only=True)
        for batch in _chunked(list(sample.responses))
    ]
    long = pd.concat(parts)
    coarsened = kanon.coarsen(long, quasi, spec.k)
    catalogue.coarsened_labels.update(coarsened.value_labels)
    names = [q.name for q in quasi]
    frame: pd.DataFrame = coarsened.frame
    group: str | None = "wave"
    if spec.layout == "wide":
        wide_vars = widen_variables(
            [c.variable for c in catalogue.quasi_columns],
            catalogue.item_waves,
            sample.waves,
            with_ids=False,
        )
        frame = widen_frame(coarsened.frame, wide_vars, sample.waves).set_index(PERSON)
        names, group = [v.name for v in wide_vars], None
    suppressed = kanon.suppress_locally(frame, names, spec.k, group=group)
    report = disclosure_report(
        suppressed.frame,
        names,
        k=spec.k,
        group=group,
        suppressions=suppressed.counts,
        coarsening=coarsened.notes,
    )
    return suppressed.frame[names], report, coarsened.notes


def _chunked(responses: list[SampledResponse]) -> Iterator[list[SampledResponse]]:
    for start in range(0, len(responses), BATCH_RESPONSES):
        yield responses[start : start + BATCH_RESPONSES]


def _apply_released(frame: pd.DataFrame, released: pd.DataFrame, *, key: Any) -> pd.DataFrame:
    """Put the coarsened, k-anonymous quasi-identifier values in place of the raw ones."""
    for name in released.columns:
        if name in frame.columns and name not in ("wave", PERSON):
            frame[name] = released.loc[key, name].to_numpy(dtype="float64")
    return frame
