"""build_dataset: the anonymised Dataset the writers and the codebook read.

Order of work (docs/methods.md 5.6):
1. sample the responses (exports/sampling.py) and merge the waves' versions by item name
   (exports/items.py); identifier items and all contact data are never read into a column;
2. first pass over the answers, quasi-identifiers only: coarsen and make the release
   k-anonymous (exports/anonymise/kanon.py, per wave in the long layout), and write the
   disclosure report;
   Then the global-risk gate (docs/methods.md 5.6 step 4): further suppression until ER/n is
   within `spec.max_global_risk`; if even that cannot reach it, the report's release gate
   says so (exports/anonymise/disclosure.py). In the wide layout the pattern of waves a
   person took part in is released too (`wave_wN`, and the "not asked" cells of absent
   waves), so it is part of the key: k and the risk are checked within each pattern;
3. the relative speed index of every completed response, recomputed per wave from the page
   times with the cleaning's own function (respondents/quality/speeders.py), so a
   researcher can redo the speeder exclusion;
4. `chunks()` streams the rows in random order in batches of responses (memory bounded):
   answers to columns (exports/columns.py), pid from the per-export key, scrubbed free
   text (the findings counted into the report), the released quasi-identifier values and
   the twins derived from them, and the wide layout if asked.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from exports import columns as col
from exports.anonymise import kanon
from exports.anonymise.disclosure import disclosure_report, restricted_report
from exports.anonymise.pseudonyms import Pseudonymiser, new_export_key
from exports.catalogue import Catalogue, build_catalogue
from exports.dataset import Dataset, ExportSpec
from exports.describe import describe_disclosure, describe_gate
from exports.flatten import FlatBatch, flatten
from exports.layouts import PERSON, WideTexts, wide_name, widen_frame, widen_variables
from exports.links import NAME as LINKED_BY
from exports.links import NOT_LINKED, linked_by, linked_by_variable
from exports.read_ahead import with_answers
from exports.repeats import roster_tables
from exports.sampling import (
    Sample,
    SampledResponse,
    WaveInfo,
    current_flags,
    flagged_rules,
    select_sample,
)
from exports.speed import speed_indexes
from exports.texts import translator
from exports.weighting import export_weights
from respondents.freetext import release
from respondents.freetext import services as freetext
from respondents.freetext.scrub import WITHHELD
from respondents.models import ResponseStatus
from surveys.expressions import ExpressionError, references
from surveys.models import Study

# Responses flattened and turned into rows per chunk: at 200 items about 35 MB of positions
# and 35 MB of values; fewer, larger batches keep the per-column work (pandas calls) small.
BATCH_RESPONSES = 20_000
# The wide layout's grouping column for k-anonymity: the pattern of waves taken part in.
PATTERN = "_waves_taken"

ERROR_K = "k must be at least 1 (got {k})"
NO_SPEED = pd.Series(dtype="float64", index=pd.Index([], dtype="int64"))


class AssemblyError(ValueError):
    """The export cannot be built as asked; the message names the problem."""


def build_dataset(spec: ExportSpec) -> Dataset:
    if spec.k < 1:
        raise AssemblyError(ERROR_K.format(k=spec.k))
    study = Study.objects.get(pk=spec.study_id)
    sample = select_sample(
        spec.study_id, spec.wave_ids, sample=spec.sample, include_flagged=spec.include_flagged
    )
    wave_ids = [w.id for w in sample.waves]
    # Left out (the default), the flagged responses are none of the sample's: nothing to read.
    flags = current_flags(wave_ids) if spec.include_flagged else {}
    catalogue = build_catalogue(sample, flagged_rules(wave_ids), spec)
    population = study.population_size
    if spec.restricted:
        released, report, quasi_notes = _restricted_quasi(spec, sample, catalogue)
    else:
        released, report, quasi_notes = _anonymise_quasi(spec, sample, catalogue, population)
    catalogue = catalogue.with_quasi_notes(quasi_notes, dict(report["suppressions"]))
    weights = export_weights(spec, sample)
    links = linked_by(sample.responses)
    catalogue.columns.extend(
        col.Column(variable, None, col.numeric)
        for variable in (linked_by_variable(spec.language), *weights.variables(spec.language))
    )
    if sample.empty_reason:
        report["empty_reason"] = sample.empty_reason
    speed = speed_indexes(sample)
    variables = [c.variable for c in catalogue.columns]
    if spec.layout == "wide":
        variables = widen_variables(
            variables, catalogue.item_waves, sample.waves, texts=wide_texts(spec.language)
        )
    rows = sample.people if spec.layout == "wide" else len(sample.responses)
    pseudonymiser = Pseudonymiser(spec.pseudonym_key or new_export_key())
    children = roster_tables(spec, sample, pseudonymiser, title=study.title)
    # Free-text variable -> kind -> how many were replaced.
    scrubbed: dict[str, Counter[str]] = {}
    report["scrubbed"] = {}
    report["free_text"] = freetext.release_report({}, set())

    def chunks() -> Iterator[pd.DataFrame]:
        keys, typed = _answer_keys(catalogue.item_columns)
        read = with_answers(_batches(sample, spec), keys, typed, _scrubbed_keys(catalogue, spec))
        for batch, flat in read:
            frame = _rows(batch, catalogue, flags, spec, scrubbed=scrubbed, speed=speed, flat=flat)
            frame[LINKED_BY] = links.reindex(frame.index, fill_value=NOT_LINKED).to_numpy(
                dtype=np.float64
            )
            for name, values in weights.columns.items():
                # A wave that could not be weighted: the weight is not computed (-5).
                frame[name] = [values.get(i, float(col.BREAK_OFF)) for i in frame.index]
            if spec.layout == "wide":
                frame = widen_frame(frame, variables, sample.waves)
                frame = _apply_released(frame, released, key=frame[PERSON])
            else:
                frame = _apply_released(frame, released, key=frame.index)
            _derive_released(frame, catalogue, sample.waves)
            persons, position = np.unique(frame[PERSON].to_numpy(dtype=str), return_inverse=True)
            frame[PERSON] = np.array(pseudonymiser.pids(persons.tolist()), dtype=object)[position]
            frame = frame.rename(columns={PERSON: "pid"})
            # The report travels with the files written after the last chunk.
            total = sum(scrubbed.values(), Counter[str]())
            report["scrubbed"] = dict(sorted(total.items()))
            report["free_text"] = freetext.release_report(
                scrubbed, _withheld_variables(catalogue, spec)
            )
            yield frame[[v.name for v in variables]].reset_index(drop=True)

    return Dataset(
        variables=variables,
        chunks=chunks,
        rows=rows,
        sample_definition=sample.describe(spec.language),
        cleaning_rules=catalogue.cleaning_rules,
        disclosure_report=report,
        missing_scheme=col.missing_scheme(spec.language),
        keep_missing_codes=spec.missing_codes,
        language=spec.language,
        translate=translator(spec.language),
        verdict=describe_disclosure(report, spec.language),
        release_gate=describe_gate(report, spec.language),
        title=study.title,
        notes=catalogue.notes,
        children=children,
    )


def wide_texts(language: str) -> WideTexts:
    return WideTexts(
        took_part=col.label_text(language, "took_part"),
        in_wave=col.label_text(language, "in_wave"),
        not_asked=col.missing_scheme(language)[col.NOT_ASKED],
        no=col.label_text(language, "no"),
        yes=col.label_text(language, "yes"),
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


def _answer_keys(columns: Sequence[col.Column]) -> tuple[list[str], set[str]]:
    """The answers the columns read (their items' own, "other, specify" texts, and those
    their conditions name), and which of them must keep their stored type: the ones
    conditions read, and select_multiple lists (exports/flatten.py)."""
    keys: set[str] = set()
    typed: set[str] = set()
    for column in columns:
        if column.item is None:
            continue
        keys.add(column.item.name)
        if column.item.type == "select_multiple":
            typed.add(column.item.name)
        if column.item.has_other:
            keys.add(f"{column.item.name}_other")
        for version in column.item.versions.values():
            try:
                named = references(version.relevant) if version.relevant.strip() else ()
            except ExpressionError:
                continue  # counted as shown (exports/columns.py): it reads nothing
            keys.update(named)
            typed.update(named)
    return sorted(keys), typed


def _rows(
    batch: Sequence[SampledResponse],
    catalogue: Catalogue,
    flags: dict[int, set[str]],
    spec: ExportSpec,
    *,
    quasi_only: bool = False,
    scrubbed: dict[str, Counter[str]] | None = None,
    speed: pd.Series | None = None,
    flat: FlatBatch | None = None,
) -> pd.DataFrame:
    """One row per response of the batch, in batch order, internal person key kept;
    `flat`: the batch's answers when already read (exports/read_ahead.py)."""
    columns = catalogue.quasi_columns if quasi_only else catalogue.item_columns
    ids = [r.response_id for r in batch]
    if flat is None:
        keys, typed = _answer_keys(columns)
        flat = flatten(ids, keys, typed, () if quasi_only else _scrubbed_keys(catalogue, spec))
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
        rows = flat.rows(in_wave)
        group = col.Group(
            raw=pd.DataFrame(index=in_wave),
            abandoned=pd.Series(rows.status == ResponseStatus.ABANDONED, index=in_wave),
            factors=rows.answers,
        )
        version_id = catalogue.wave_versions[wave_id]
        part = {}
        for column in columns:
            item = column.item
            if item is not None:  # item columns always name their item
                part[column.variable.name] = column.compute(
                    item, item.versions.get(version_id), group
                ).to_numpy()
        parts.append(pd.DataFrame(part, index=in_wave))
    items = pd.concat(parts) if len(parts) > 1 else parts[0] if parts else pd.DataFrame(index=ids)
    frame = pd.concat([meta, items.reindex(ids)], axis=1)
    if not quasi_only:
        _add_quality(frame, flat, flags, catalogue, batch, speed if speed is not None else NO_SPEED)
        found = _free_text(frame, catalogue, spec, flat)
        if scrubbed is not None:
            for name, counts in found.items():
                scrubbed.setdefault(name, Counter()).update(counts)
    return frame


def _add_quality(
    frame: pd.DataFrame,
    flat: FlatBatch,
    flags: dict[int, set[str]],
    catalogue: Catalogue,
    batch: Sequence[SampledResponse],
    speed: pd.Series,
) -> None:
    ids = list(frame.index)
    frame["complete"] = (flat.status == ResponseStatus.COMPLETED).astype("float64")
    frame["duration"] = np.where(np.isnan(flat.duration), float(col.BREAK_OFF), flat.duration)
    cleaned = np.array([r.wave_id in catalogue.cleaned_waves for r in batch], dtype=bool)
    not_cleaned = float(col.BREAK_OFF)
    for rule, name in catalogue.flag_columns.items():
        has = np.array([rule in flags.get(i, ()) for i in ids], dtype=np.float64)
        frame[name] = np.where(cleaned, has, not_cleaned)
    anyflag = np.array([bool(flags.get(i)) for i in ids], dtype=np.float64)
    frame["flagged"] = np.where(cleaned, anyflag, not_cleaned)
    frame["speed_index"] = speed.reindex(frame.index, fill_value=not_cleaned).to_numpy()


def _withheld_variables(catalogue: Catalogue, spec: ExportSpec) -> set[str]:
    withheld = freetext.withheld_keys(spec.study_id)
    return {
        c.variable.name
        for c in catalogue.columns
        if c.is_free_text and (spec.free_text == "withhold" or c.answer_key in withheld)
    }


def _scrubbed_keys(catalogue: Catalogue, spec: ExportSpec) -> list[str]:
    """The free-text answers released as their stored scrubs (not withheld)."""
    if spec.free_text == "withhold":
        return []
    withheld = freetext.withheld_keys(spec.study_id)
    return sorted(
        {c.answer_key for c in catalogue.columns if c.is_free_text and c.answer_key not in withheld}
    )


def _free_text(
    frame: pd.DataFrame, catalogue: Catalogue, spec: ExportSpec, flat: FlatBatch
) -> dict[str, Counter[str]]:
    """Free text as stored by scrub-once (respondents/freetext/): the export reads the
    stored scrub of each answer (read with the answers, exports/flatten.py) and never
    scrubs one that has a current scrub."""
    found: dict[str, Counter[str]] = {}
    withheld = freetext.withheld_keys(spec.study_id)
    for column in catalogue.columns:
        if not column.is_free_text:
            continue
        name = column.variable.name
        values = frame[name].astype(str).tolist()
        if spec.free_text == "withhold" or column.answer_key in withheld:
            frame[name] = [WITHHELD if v else "" for v in values]
            continue
        stored = flat.scrubs.get(column.answer_key)
        if stored is not None:
            # Read with the answers (PostgreSQL), row by row in the frame's order.
            column_release = release.released_column(
                column.answer_key, frame.index.tolist(), values, stored
            )
            frame[name] = column_release.texts
            found[name] = column_release.found
            continue
        raw = {int(pk): value for pk, value in zip(frame.index, values, strict=True)}
        released = freetext.released_texts(column.answer_key, raw)
        frame[name] = [released.texts.get(int(pk), "") if v else "" for pk, v in raw.items()]
        found[name] = released.found
    return found


def _anonymise_quasi(
    spec: ExportSpec, sample: Sample, catalogue: Catalogue, population: int | None
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, list[str]]]:
    quasi = catalogue.quasi_specs
    names = [q.name for q in quasi]
    if not sample.responses:
        report = disclosure_report(
            np.zeros(0, dtype=np.int64),
            names,
            k=spec.k,
            rows=0,
            layout=spec.layout,
            anonymised=None,
            population=population,
            max_global_risk=spec.max_global_risk,
        )
        return pd.DataFrame(), report, {}
    parts = [
        _rows(batch, catalogue, {}, spec, quasi_only=True)
        for batch in _chunked(list(sample.responses))
    ]
    long = pd.concat(parts)
    wide = spec.layout == "wide"
    group = None
    if wide:
        persons = pd.Index(pd.unique(long[PERSON]))
        group = pd.Series(_participation_codes(long, sample.waves, persons), index=persons)
    describe = _pattern_description(sample.waves) if wide else None
    result = kanon.anonymise(
        long, quasi, spec.k, person=PERSON, wide=wide, group=group, describe_group=describe
    )
    catalogue.coarsened_labels.update(result.value_labels)
    released = pd.concat([long[[PERSON, "wave"]], result.frame], axis=1)
    if wide:
        wide_vars = widen_variables(
            [c.variable for c in catalogue.quasi_columns],
            catalogue.item_waves,
            sample.waves,
            with_ids=False,
        )
        released = widen_frame(released, wide_vars, sample.waves).set_index(PERSON)
        columns = [v.name for v in wide_vars]
    else:
        columns = names
    report = disclosure_report(
        result.sizes,
        names,
        k=spec.k,
        rows=len(long) if not wide else len(result.sizes),
        layout=spec.layout,
        anonymised=result,
        population=population,
        max_global_risk=spec.max_global_risk,
    )
    if not wide and len(sample.waves) > 1:
        report["people_unique_across_waves"] = _unique_across_waves(released, names)
        report["people_unique_across_waves_note"] = LINKED_WAVES_NOTE
    return released[columns], report, result.notes


# The pid joins a person's rows in the long layout, so k-anonymity is made over each
# person's values across the waves of the export (exports/anonymise/units.py).
LINKED_WAVES_NOTE = (
    "k-anonymity holds over each person's quasi-identifier values across the waves of the "
    "export (the pid joins their rows); this many people have values nobody else shares."
)


RESTRICTED_NOTE = (
    "RESTRICTED release: not recoded and not suppressed, for the study team's own analysis"
)


def _restricted_quasi(
    spec: ExportSpec, sample: Sample, catalogue: Catalogue
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, list[str]]]:
    """The quasi-identifiers as answered: numbers and choices as they are, each distinct
    place its own code, dates by quarter (the export has no date codes)."""
    quasi = catalogue.quasi_specs
    names = [q.name for q in quasi]
    long = (
        pd.concat(
            [
                _rows(batch, catalogue, {}, spec, quasi_only=True)
                for batch in _chunked(list(sample.responses))
            ]
        )
        if sample.responses
        else pd.DataFrame(columns=[PERSON, "wave", *names])
    )
    notes: dict[str, list[str]] = {}
    for q in quasi:
        series = long[q.name]
        if q.kind == "place":
            coded, labels, _ = kanon.common_places(series, 1)
        elif q.kind == "date":
            coded, labels, _ = kanon.quarters(series)
        else:
            coded = pd.to_numeric(series, errors="coerce").astype("float64")
            labels = dict(q.labels)
        long[q.name] = coded
        catalogue.coarsened_labels[q.name] = labels
        notes[q.name] = [RESTRICTED_NOTE]
    released = long
    columns = names
    if spec.layout == "wide":
        wide_vars = widen_variables(
            [c.variable for c in catalogue.quasi_columns],
            catalogue.item_waves,
            sample.waves,
            with_ids=False,
        )
        released = widen_frame(long, wide_vars, sample.waves).set_index(PERSON)
        columns = [v.name for v in wide_vars]
    report = restricted_report(names, rows=len(released), k=spec.k)
    return released[columns], report, notes


def _unique_across_waves(frame: pd.DataFrame, names: list[str]) -> int:
    """People whose released values over all their rows nobody else has: counted from the
    released rows, independently of the suppression that made them."""
    values = frame[names].astype("float64").fillna(-999.0).replace(-4.0, -6.0)
    # Each distinct row of values as a number (grouped in C; joining each row's values as
    # text in Python was half of an export's assembly time).
    if names:
        codes = values.groupby(names, sort=False, dropna=False).ngroup().to_numpy()
    else:
        codes = np.zeros(len(values), dtype=np.int64)
    rows = pd.Series(codes, index=values.index).astype(str)
    signature = (
        pd.DataFrame({PERSON: frame[PERSON], "row": rows})
        .drop_duplicates()
        .sort_values([PERSON, "row"])
        .groupby(PERSON)["row"]
        .agg("#".join)
    )
    return int((signature.map(signature.value_counts()) == 1).sum())


def _participation_codes(
    long: pd.DataFrame, waves: Sequence[WaveInfo], persons: pd.Index
) -> np.ndarray:
    """Per person, the waves taken part in as a bit pattern (bit i = the i-th chosen wave)."""
    code = pd.Series(0.0, index=pd.Index(persons))
    for bit, wave in enumerate(waves):
        took_part = set(long.loc[long["wave"] == wave.number, PERSON])
        code += np.where(code.index.isin(took_part), float(2**bit), 0.0)
    return code.to_numpy()


def _pattern_description(waves: Sequence[WaveInfo]) -> Any:
    def describe(value: int) -> str:
        bits = int(value)
        taken = [w.name for bit, w in enumerate(waves) if bits & (1 << bit)]
        return "the wide layout's group of people who took part in " + (
            " and ".join(taken) + " only" if taken else "no wave"
        )

    return describe


def _derive_released(frame: pd.DataFrame, catalogue: Catalogue, waves: Sequence[WaveInfo]) -> None:
    """Twins of quasi-identifiers from their released values, never from the raw answer."""
    for column in catalogue.derived_columns:
        base, derive = column.released_from, column.derive
        if base is None or derive is None:
            continue
        pairs = [(column.variable.name, base)]
        if PERSON in frame.columns and column.variable.name not in frame.columns:
            pairs = [
                (wide_name(column.variable.name, w.number), wide_name(base, w.number))
                for w in waves
            ]
        for name, source in pairs:
            if name in frame.columns and source in frame.columns:
                frame[name] = frame[source].astype("float64").map(derive).astype("float64")


def _chunked(responses: list[SampledResponse]) -> Iterator[list[SampledResponse]]:
    for start in range(0, len(responses), BATCH_RESPONSES):
        yield responses[start : start + BATCH_RESPONSES]


def _apply_released(frame: pd.DataFrame, released: pd.DataFrame, *, key: Any) -> pd.DataFrame:
    """Put the coarsened, k-anonymous quasi-identifier values in place of the raw ones."""
    for name in released.columns:
        if name in frame.columns and name not in ("wave", PERSON):
            frame[name] = released.loc[key, name].to_numpy(dtype="float64")
    return frame
