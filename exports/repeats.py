"""Rosters (XLSForm repeats) in an export: one child table per roster, beside the data.

A roster's answers are a list of entries per response (surveys/repeats.py), so they
cannot be columns of the one-row-per-response table. Each roster becomes its own table:

- long layout: one row per entry, keyed by `pid` (the same pseudonymous id as the main
  table's, from the same export key), `wave` and `entry` (the entry's number, from 1);
- wide layout: one row per response (`pid`, `wave`), the entries' answers in numbered
  columns (`age_1`, `age_2`, ... up to the most entries any response in the release has).

Each table is written in the export's format and has its own codebook files
(exports/jobs.py); the main codebook's notes name them and how to join them.

Disclosure control applies as to every other item, never less: direct identifiers in a
roster are never read; quasi-identifiers in a roster are withheld (they are not part of the
main table's k-anonymity, so releasing them could single a household out); free text is
released only as its stored scrub (respondents/freetext/), keyed per entry, and withheld
where the study withholds the item or the export withholds free text.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from django.db.models import F
from django.utils.translation import gettext_noop

from config.anyof import AnyOf
from exports import columns as col
from exports.anonymise.pseudonyms import Pseudonymiser
from exports.catalogue import columns_of_item
from exports.codebook import (
    ExportDescription,
    datapackage,
    ddi_codebook,
    file_names,
    markdown,
)
from exports.dataset import Dataset, ExportSpec, Variable
from exports.items import Item, concept_definitions, label_in, load_items, version_numbers
from exports.sampling import Sample, SampledResponse
from exports.texts import translate_to, translator
from exports.writers import get_writer
from respondents.freetext import services as freetext
from respondents.freetext.scrub import WITHHELD
from respondents.models import Response, ResponseStatus
from surveys.models import Page, PrivacyClass, Question, QuestionType
from surveys.repeats import instance_key, instances

# Responses read per round trip.
BATCH_RESPONSES = 2000
ENTRY = "entry"
KEYS = ("pid", "wave", ENTRY)

ENTRY_LABEL = gettext_noop("Entry number within the roster (from 1)")
ENTRY_SUFFIX = gettext_noop("entry {number}")
ROSTER_TITLE = gettext_noop("Roster {name}: {label}")
ROSTER_LONG = gettext_noop(
    "One row per entry of the roster {name!r}, keyed by pid, wave and entry; join it to the "
    "main table on pid and wave."
)
ROSTER_WIDE = gettext_noop(
    "One row per response with entries of the roster {name!r}, keyed by pid and wave; the "
    "entries' answers are numbered columns (name_1, name_2, ... up to {count} entries)."
)
ROSTER_FILE_NOTE = gettext_noop(
    "The roster {name!r} (a repeat of the form) is in its own files beside these: {files}."
)
ROSTER_WITHHELD = gettext_noop(
    "Withheld from the roster table: direct identifiers ({identifiers}) and "
    "quasi-identifiers ({quasi}); quasi-identifiers in a roster are not made k-anonymous, "
    "so they are not released."
)
NONE = gettext_noop("none")


@dataclass(frozen=True)
class Roster:
    name: str
    labels: Mapping[str, str]
    items: tuple[Item, ...]
    withheld_identifiers: tuple[str, ...]
    withheld_quasi: tuple[str, ...]


def load_rosters(version_ids: Sequence[int]) -> list[Roster]:
    """The rosters of the versions, by name, with their items merged across versions."""
    pages = list(
        Page.objects.filter(version_id__in=version_ids, repeat__isnull=False).order_by(
            "version_id", "position"
        )
    )
    if not pages:
        return []
    members: dict[str, list[str]] = {}
    for roster, item in (
        Question.objects.filter(page__in=pages)
        .exclude(type=QuestionType.NOTE)
        .order_by("version_id", "position")
        .values_list("page__name", "name")
    ):
        names = members.setdefault(roster, [])
        if item not in names:
            names.append(item)
    items = {item.name: item for item in load_items(version_ids)}
    labels = {page.name: dict(page.labels) for page in pages}
    rosters = []
    for name, names in members.items():
        found = [items[n] for n in names if n in items]
        rosters.append(
            Roster(
                name=name,
                labels=labels[name],
                items=tuple(i for i in found if i.privacy not in _WITHHELD),
                withheld_identifiers=tuple(
                    i.name for i in found if i.privacy == PrivacyClass.IDENTIFIER
                ),
                withheld_quasi=tuple(i.name for i in found if i.privacy == PrivacyClass.QUASI),
            )
        )
    return rosters


_WITHHELD = (PrivacyClass.IDENTIFIER, PrivacyClass.QUASI)


def roster_tables(
    spec: ExportSpec, sample: Sample, pseudonymiser: Pseudonymiser, *, title: str
) -> list[tuple[str, Dataset]]:
    """(roster name, its table) for every roster of the sampled waves' versions."""
    version_of = {w.id: w.version_id for w in sample.waves}
    rosters = load_rosters(sorted(set(version_of.values())))
    return [
        (roster.name, _table(roster, spec, sample, pseudonymiser, title=title))
        for roster in rosters
    ]


def _table(
    roster: Roster, spec: ExportSpec, sample: Sample, pseudonymiser: Pseudonymiser, *, title: str
) -> Dataset:
    language = spec.language
    numbers = version_numbers({w.version_id for w in sample.waves})
    concepts = concept_definitions(i.concept for i in roster.items)
    taken = set(KEYS)
    columns = [
        column
        for item in roster.items
        for column in columns_of_item(item, spec, numbers, concepts, taken)
        # Harmonised twins read the released main table; a roster has no such step.
        if column.released_from is None
    ]
    rows = _RosterRows(roster, columns, spec, sample, pseudonymiser)
    frame = rows.frame()
    keys = _key_variables(sample, language)
    variables = keys + [c.variable for c in columns]
    if spec.layout == "wide":
        frame, variables = _widened(frame, variables, language)
    label = label_in(roster.labels, language) or roster.name
    notes = [
        translate_to(language, ROSTER_TITLE).format(name=roster.name, label=label),
        (
            translate_to(language, ROSTER_WIDE).format(name=roster.name, count=rows.most_entries)
            if spec.layout == "wide"
            else translate_to(language, ROSTER_LONG).format(name=roster.name)
        ),
        translate_to(language, ROSTER_WITHHELD).format(
            identifiers=", ".join(roster.withheld_identifiers) or translate_to(language, NONE),
            quasi=", ".join(roster.withheld_quasi) or translate_to(language, NONE),
        ),
    ]
    ordered = frame[[v.name for v in variables]].reset_index(drop=True)

    def chunks() -> Iterator[pd.DataFrame]:
        yield ordered

    return Dataset(
        variables=variables,
        chunks=chunks,
        rows=len(ordered),
        sample_definition=sample.describe(language),
        cleaning_rules={},
        disclosure_report={"free_text": freetext.release_report(rows.scrubbed, rows.withheld)},
        missing_scheme=col.missing_scheme(language),
        keep_missing_codes=spec.missing_codes,
        language=language,
        translate=translator(language),
        title=f"{title}: {label}",
        notes=notes,
    )


def _key_variables(sample: Sample, language: str) -> list[Variable]:
    return [
        Variable("pid", col.label_text(language, "person"), "string", type="string"),
        Variable(
            "wave",
            col.label_text(language, "wave"),
            "numeric",
            type="integer",
            value_labels={w.number: w.name for w in sample.waves},
        ),
        Variable(ENTRY, translate_to(language, ENTRY_LABEL), "numeric", type="integer"),
    ]


class _RosterRows:
    """The roster's entries of the sampled responses as one frame of released values."""

    def __init__(
        self,
        roster: Roster,
        columns: list[col.Column],
        spec: ExportSpec,
        sample: Sample,
        pseudonymiser: Pseudonymiser,
    ) -> None:
        self.roster = roster
        self.columns = columns
        self.spec = spec
        self.sample = sample
        self.pseudonymiser = pseudonymiser
        self.version_of = {w.id: w.version_id for w in sample.waves}
        self.wave_number = {w.id: w.number for w in sample.waves}
        self.scrubbed: dict[str, Counter[str]] = {}
        self.withheld = {
            c.variable.name
            for c in columns
            if c.is_free_text
            and (
                spec.free_text == "withhold"
                or c.answer_key in freetext.withheld_keys(spec.study_id)
            )
        }
        self.most_entries = 0

    def frame(self) -> pd.DataFrame:
        order = list(self.sample.responses)
        # Parents in random order, as the main table's rows (entries in their order).
        secrets.SystemRandom().shuffle(order)
        parts = [
            self._batch(order[start : start + BATCH_RESPONSES])
            for start in range(0, len(order), BATCH_RESPONSES)
        ]
        parts = [part for part in parts if len(part)]
        if not parts:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in [*KEYS, *self._names()]})
        return pd.concat(parts, ignore_index=True)

    def _names(self) -> list[str]:
        return [c.variable.name for c in self.columns]

    def _batch(self, batch: Sequence[SampledResponse]) -> pd.DataFrame:
        answers: dict[int, Any] = {}
        statuses: dict[int, str] = {}
        # One array parameter for the batch's ids, one read of each row.
        stored_rows = Response.objects.filter(AnyOf(F("pk"), [r.response_id for r in batch]))
        for pk, stored, status in stored_rows.values_list("pk", "answers", "status"):
            answers[pk] = stored
            statuses[pk] = status
        records: list[dict[str, Any]] = []
        meta: list[tuple[SampledResponse, int]] = []
        for response in batch:
            stored = answers.get(response.response_id) or {}
            entries = instances(stored.get(self.roster.name))
            self.most_entries = max(self.most_entries, len(entries))
            # The entry's expressions read the answers outside the roster too.
            outside = {k: v for k, v in stored.items() if not instances(v)}
            for number, entry in enumerate(entries, start=1):
                records.append({**outside, **entry})
                meta.append((response, number))
        if not records:
            return pd.DataFrame()
        frame = pd.DataFrame(
            {
                "pid": self.pseudonymiser.pids([r.person for r, _n in meta]),
                "wave": [float(self.wave_number[r.wave_id]) for r, _n in meta],
                ENTRY: [float(n) for _r, n in meta],
            }
        )
        for name in self._names():
            frame[name] = pd.Series([None] * len(frame), dtype=object)
        waves = {r.wave_id for r, _n in meta}
        for wave_id in waves:
            rows = [i for i, (r, _n) in enumerate(meta) if r.wave_id == wave_id]
            raw = pd.DataFrame([records[i] for i in rows], index=rows, dtype=object)
            abandoned = pd.Series(
                [statuses.get(meta[i][0].response_id) == ResponseStatus.ABANDONED for i in rows],
                index=rows,
            )
            group = col.Group(raw=raw, abandoned=abandoned)
            version_id = self.version_of[wave_id]
            for column in self.columns:
                item = column.item
                if item is None:
                    continue
                values = column.compute(item, item.versions.get(version_id), group)
                frame.loc[rows, column.variable.name] = values.to_numpy()
        self._free_text(frame, meta)
        for variable in (c.variable for c in self.columns):
            if variable.kind == "numeric":
                frame[variable.name] = pd.to_numeric(frame[variable.name]).astype("float64")
        return frame

    def _free_text(self, frame: pd.DataFrame, meta: list[tuple[SampledResponse, int]]) -> None:
        """Free text as its stored scrub, per entry (the scrub's key names the entry)."""
        for column in self.columns:
            if not column.is_free_text:
                continue
            name = column.variable.name
            values = frame[name].fillna("").astype(str).tolist()
            if name in self.withheld:
                frame[name] = [WITHHELD if v else "" for v in values]
                continue
            released: list[str] = [""] * len(values)
            by_entry: dict[int, dict[int, int]] = {}
            for index, (response, number) in enumerate(meta):
                if values[index]:
                    by_entry.setdefault(number, {})[response.response_id] = index
            for number, rows in by_entry.items():
                key = instance_key(column.answer_key, number)
                texts = freetext.released_texts(key, {pk: values[i] for pk, i in rows.items()})
                for pk, index in rows.items():
                    released[index] = texts.texts.get(pk, WITHHELD)
                counts = self.scrubbed.setdefault(name, Counter())
                counts.update(texts.found)
            frame[name] = released


def _widened(
    frame: pd.DataFrame, variables: list[Variable], language: str
) -> tuple[pd.DataFrame, list[Variable]]:
    """One row per (pid, wave): each entry's answers in columns numbered by entry."""
    most = int(frame[ENTRY].max()) if len(frame) else 0
    keys = [v for v in variables if v.name in ("pid", "wave")]
    answers = [v for v in variables if v.name not in KEYS]
    wide_vars = list(keys)
    for variable in answers:
        for number in range(1, most + 1):
            suffix = translate_to(language, ENTRY_SUFFIX).format(number=number)
            wide_vars.append(
                replace(
                    variable, name=f"{variable.name}_{number}", label=f"{variable.label} ({suffix})"
                )
            )
    if not len(frame):
        empty = pd.DataFrame({v.name: pd.Series(dtype=object) for v in wide_vars})
        return empty, wide_vars
    parents = frame[["pid", "wave"]].drop_duplicates().reset_index(drop=True)
    out = parents.copy()
    for variable in answers:
        for number in range(1, most + 1):
            part = frame[frame[ENTRY] == float(number)][["pid", "wave", variable.name]]
            merged = parents.merge(part, on=["pid", "wave"], how="left")
            filler: object = "" if variable.kind == "string" else float(col.NOT_ASKED)
            out[f"{variable.name}_{number}"] = merged[variable.name].where(
                merged[variable.name].notna(), filler
            )
    return out, wide_vars


def write_rosters(
    dataset: Dataset, file_format: str, about: ExportDescription, directory: Path, *, basename: str
) -> list[Path]:
    """Write each roster table and its codebook (Markdown and DDI) beside the main files,
    and name them in the main table's notes; returns the paths written."""
    paths: list[Path] = []
    for roster, table in dataset.children:
        name = f"{basename}-{roster}"
        written = get_writer(file_format)(table, directory, basename=name)
        names = file_names(table.variables, written.shortenings)
        codebooks = [
            (directory / f"{name}_codebook.md", markdown(table, written, about, names)),
            (directory / f"{name}_ddi.xml", ddi_codebook(table, written, about, names)),
        ]
        for path, content in codebooks:
            path.write_text(content, encoding="utf-8")
        resource = datapackage(table, written, about, names)["resources"][0]
        dataset.resources.append({**resource, "name": roster, "description": " ".join(table.notes)})
        files = [*written.paths, *(path for path, _ in codebooks)]
        note = translate_to(dataset.language, ROSTER_FILE_NOTE)
        dataset.notes.append(note.format(name=roster, files=", ".join(p.name for p in files)))
        paths += files
    return paths
