"""A wave loaded as arrays for the cleaning rules (respondents/quality/frame.py WaveFrame).

One query reads every response with each item and page time extracted by the database
(JSON key transforms), or PostgreSQL's COPY through respondents/wave_copy.py. Rows arrive
in chunks of LOAD_CHUNK, and each chunk is encoded into numpy arrays before the next is
read, so no more than one chunk of Python row tuples is alive at once; there is no Python
loop per response in the rules (respondents/quality/) and none here beyond the driver's
rows and their timestamps.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from respondents.models import (
    Response,
    ResponseStatus,
    Wave,
)
from respondents.quality.config import CleaningConfig
from respondents.quality.frame import (
    MISSING_CODE,
    AttentionCheck,
    Battery,
    FloatArray,
    IntArray,
    WaveFrame,
)
from respondents.wave_copy import copy_columns
from surveys.models import Choice, Page, Question, QuestionType

# Rows fetched per database round trip: large enough to amortise it, small enough that a
# million-response wave never holds more than this many Python row tuples at once.
LOAD_CHUNK = 20_000
CLOSED_TYPES = (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE)
NUMERIC_TYPES = (QuestionType.INTEGER, QuestionType.DECIMAL)
FIXED_FIELDS = (
    "id",
    "source_id",
    "status",
    "language",
    "member_id",
    "invitation_id",
    "fingerprint",
    "honeypot_filled",
    "started_at",
    "completed_at",
    "updated_at",
)


@dataclass(frozen=True)
class _Item:
    name: str
    type: str
    page: str
    choice_list_id: int | None
    attention_expected: str


@dataclass(frozen=True)
class _Layout:
    """What the questionnaire says about the frame's columns."""

    items: tuple[_Item, ...]
    pages: tuple[str, ...]
    page_item_counts: tuple[int, ...]
    # choice list -> {choice name: (position code, statistical code)}
    choices: dict[int, dict[str, tuple[int, int]]]


def load_wave_frame(
    wave: Wave, *, config: CleaningConfig, now: datetime, through_copy: bool | None = None
) -> WaveFrame:
    """The wave as arrays. On PostgreSQL it is read through COPY (respondents/wave_copy.py)
    unless `through_copy` is False; elsewhere row by row through the ORM."""
    layout = _layout(wave.version_id)
    if through_copy is None:
        through_copy = connection.vendor == "postgresql"
    columns = _fetch_columns(wave, layout, through_copy=through_copy)
    ids = columns.ids
    checks = [
        AttentionCheck(item.name, j, _expected_code(item, layout.choices, columns.tables[j]))
        for j, item in enumerate(layout.items)
        if item.attention_expected
    ]
    source = pd.Series(columns.source_id, dtype=object)
    return WaveFrame(
        response_ids=ids,
        is_complete=columns.status == ResponseStatus.COMPLETED,
        is_abandoned=columns.status == ResponseStatus.ABANDONED,
        started_at=columns.started_at,
        completed_at=columns.completed_at,
        updated_at=columns.updated_at,
        identity={"panel member": columns.member, "invitation": columns.invitation},
        fingerprint=_factorised(columns.fingerprint),
        honeypot_filled=columns.honeypot,
        page_times=columns.page_times,
        page_names=layout.pages,
        page_item_counts=np.asarray(layout.page_item_counts, dtype=np.int64),
        codes=columns.codes,
        values=columns.values,
        item_names=tuple(item.name for item in layout.items),
        match_columns=tuple(
            j
            for j, item in enumerate(layout.items)
            if not item.attention_expected and item.type != QuestionType.TEXT
        ),
        batteries=_batteries(layout, config.straightliner_min_items),
        attention_checks=tuple(checks),
        language=_factorised(columns.language),
        now=now.timestamp(),
        labels=source.where(source.notna() & (source != ""), pd.Series(ids).astype(str)).to_numpy(
            dtype=object
        ),
    )


def _layout(version_id: int) -> _Layout:
    questions = list(
        # A roster's items hold a list of entries, not one answer: they are no column of
        # the one-row-per-response matrices the rules read.
        Question.objects.filter(version_id=version_id, page__repeat__isnull=True)
        .filter(Q(type__in=(*CLOSED_TYPES, *NUMERIC_TYPES)) | ~Q(attention_expected=""))
        .order_by("position")
        .values_list("name", "type", "page__name", "choice_list_id", "attention_expected")
    )
    pages = tuple(
        Page.objects.filter(version_id=version_id)
        .order_by("position")
        .values_list("name", flat=True)
    )
    answerable = dict.fromkeys(pages, 0)
    for page_name in (
        Question.objects.filter(version_id=version_id)
        .exclude(type=QuestionType.NOTE)
        .values_list("page__name", flat=True)
    ):
        answerable[page_name] += 1
    choices: dict[int, dict[str, tuple[int, int]]] = {}
    for list_id, name, position, code in Choice.objects.filter(
        choice_list__version_id=version_id
    ).values_list("choice_list_id", "name", "position", "code"):
        choices.setdefault(list_id, {})[name] = (position, code)
    return _Layout(
        items=tuple(_Item(*row) for row in questions),
        pages=pages,
        page_item_counts=tuple(answerable[p] for p in pages),
        choices=choices,
    )


@dataclass
class _Columns:
    """The wave as arrays, filled chunk by chunk. `tables` maps, per item, an answer text or
    number to its code, shared by all chunks (select_one items use choice positions)."""

    ids: IntArray
    status: npt.NDArray[np.object_]
    language: npt.NDArray[np.object_]
    source_id: npt.NDArray[np.object_]
    fingerprint: npt.NDArray[np.object_]
    member: IntArray
    invitation: IntArray
    honeypot: npt.NDArray[np.bool_]
    started_at: FloatArray
    completed_at: FloatArray
    updated_at: FloatArray
    codes: npt.NDArray[np.int32]
    values: FloatArray
    page_times: FloatArray
    tables: list[dict[Any, int]]


def _fetch_columns(wave: Wave, layout: _Layout, *, through_copy: bool) -> _Columns:
    annotations: dict[str, Any] = {
        f"a{j}": KeyTextTransform(item.name, "answers") for j, item in enumerate(layout.items)
    }
    annotations.update(
        {
            f"t{p}": KeyTextTransform(
                "seconds", KeyTransform(page, KeyTransform("pages", "paradata"))
            )
            for p, page in enumerate(layout.pages)
        }
    )
    query = (
        Response.objects.filter(wave=wave)
        .annotate(**annotations)
        .order_by("id")
        .values_list(*FIXED_FIELDS, *annotations)
    )
    tables: list[dict[Any, int]] = [{} for _ in layout.items]
    parts: list[dict[str, np.ndarray]] = []
    if through_copy:
        names = [item.name for item in layout.items]
        for fixed, items, seconds in copy_columns(wave.pk, names, list(layout.pages)):
            parts.append(encode_columns(fixed, items, seconds, layout, tables))
    else:
        rows = query.iterator(chunk_size=LOAD_CHUNK)
        while chunk := list(itertools.islice(rows, LOAD_CHUNK)):
            parts.append(_encode_chunk(chunk, layout, tables))
    if not parts:
        parts.append(_encode_chunk([], layout, tables))
    joined = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    if through_copy:
        joined = _in_id_order(joined, tables)
    return _Columns(**joined, tables=tables)


def _in_id_order(
    joined: dict[str, np.ndarray], tables: list[dict[Any, int]]
) -> dict[str, np.ndarray]:
    """The rows by id, as the ORM reading gives them, and each free answer's code numbered
    by first appearance in that order, as the ORM reading numbers it. COPY sends the rows
    as the table holds them: sorting them there would hold back its first row until every
    row was read and sorted (wave_copy.copy_columns)."""
    order = np.argsort(joined["ids"], kind="stable")
    joined = {name: column[order] for name, column in joined.items()}
    codes = joined["codes"]
    for j, table in enumerate(tables):
        if not table:
            continue
        column = codes[:, j]
        answered = column != MISSING_CODE
        seen, first = np.unique(column[answered], return_index=True)
        renumbered = np.full(len(table), MISSING_CODE, dtype=codes.dtype)
        renumbered[seen[np.argsort(first)]] = np.arange(len(seen), dtype=codes.dtype)
        codes[answered, j] = renumbered[column[answered]]
        for value, code in table.items():
            table[value] = int(renumbered[code])
    return joined


def _encode_chunk(
    chunk: list[tuple[Any, ...]], layout: _Layout, tables: list[dict[Any, int]]
) -> dict[str, np.ndarray]:
    """One chunk of rows as arrays; its Python tuples can go as soon as this returns."""
    width = len(FIXED_FIELDS) + len(layout.items) + len(layout.pages)
    raw = list(zip(*chunk, strict=True)) if chunk else [() for _ in range(width)]
    fixed = dict(zip(FIXED_FIELDS, raw, strict=False))
    offset = len(FIXED_FIELDS)
    return encode_columns(
        {
            "ids": np.asarray(fixed["id"], dtype=np.int64),
            "status": np.asarray(fixed["status"], dtype=object),
            "language": np.asarray(fixed["language"], dtype=object),
            "source_id": np.asarray(fixed["source_id"], dtype=object),
            "fingerprint": np.asarray(fixed["fingerprint"], dtype=object),
            "member": _ids(fixed["member_id"]),
            "invitation": _ids(fixed["invitation_id"]),
            "honeypot": np.asarray(fixed["honeypot_filled"], dtype=np.bool_),
            "started_at": _epoch(fixed["started_at"]),
            "completed_at": _epoch(fixed["completed_at"]),
            "updated_at": _epoch(fixed["updated_at"]),
        },
        raw[offset : offset + len(layout.items)],
        raw[offset + len(layout.items) :],
        layout,
        tables,
    )


def encode_columns(
    fixed: dict[str, np.ndarray],
    items: Sequence[Sequence[Any] | np.ndarray | pa.Array],
    page_seconds: Sequence[Sequence[Any] | np.ndarray],
    layout: _Layout,
    tables: list[dict[Any, int]],
) -> dict[str, np.ndarray]:
    """A chunk's arrays from its fixed fields (already arrays) and its raw item and
    page-seconds columns, as the database gives them (text, or None)."""
    n = len(fixed["ids"])
    codes = np.full((n, len(layout.items)), MISSING_CODE, dtype=np.int32)
    values = np.full((n, len(layout.items)), np.nan)
    # One pass per item (60 or so), vectorised over the chunk's responses.
    for j, item in enumerate(layout.items):
        column = items[j]
        if isinstance(column, pa.Array):
            codes[:, j], values[:, j] = _encode_distinct(item, column, layout.choices, tables[j])
        else:
            codes[:, j], values[:, j] = _encode(item, column, layout.choices, tables[j])
    page_times = np.full((n, len(layout.pages)), np.nan)
    for p in range(len(layout.pages)):
        page_times[:, p] = pd.to_numeric(pd.Series(page_seconds[p], dtype=object), errors="coerce")
    return {**fixed, "codes": codes, "values": values, "page_times": page_times}


def _encode(
    item: _Item,
    raw: Sequence[Any] | np.ndarray,
    choices: dict[int, dict[str, tuple[int, int]]],
    table: dict[Any, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Codes for equality and numeric values for variability; `table` keeps the codes of
    free answers (numbers, texts) equal across chunks."""
    series = pd.Series(raw, dtype=object)
    if item.type == QuestionType.SELECT_ONE and item.choice_list_id is not None:
        options = choices.get(item.choice_list_id, {})
        position = series.map({name: pos for name, (pos, _) in options.items()})
        code = series.map({name: value for name, (_, value) in options.items()})
        codes = position.fillna(0).to_numpy(dtype=np.int64) - 1
        return codes.astype(np.int32), code.to_numpy(dtype=np.float64, na_value=np.nan)
    if item.type in NUMERIC_TYPES:
        numbers = pd.to_numeric(series, errors="coerce")
        return _shared_codes(numbers, table), numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    # select_multiple (its JSON list as text) and text checks: equal text, equal answer.
    normalised = series.where(series.notna() & (series != ""), None)
    if item.type == QuestionType.TEXT:
        normalised = normalised.str.strip().str.casefold()
    return _shared_codes(normalised, table), np.full(len(raw), np.nan)


def _encode_distinct(
    item: _Item,
    column: pa.Array,
    choices: dict[int, dict[str, tuple[int, int]]],
    table: dict[Any, int],
) -> tuple[np.ndarray, np.ndarray]:
    """`_encode` of a column read through COPY, done once per distinct answer (a handful
    per item) and spread to the rows by pyarrow, in order of first appearance as `_encode`
    would meet them."""
    encoded = pc.dictionary_encode(column)
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    distinct_codes, distinct_values = _encode(item, distinct, choices, table)
    at = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    answered = at >= 0
    picked = np.maximum(at, 0)
    codes = np.where(answered, distinct_codes[picked] if distinct.size else 0, MISSING_CODE)
    values = np.where(answered, distinct_values[picked] if distinct.size else 0.0, np.nan)
    return codes.astype(np.int32), values.astype(np.float64)


def _shared_codes(series: pd.Series[Any], table: dict[Any, int]) -> np.ndarray:
    local, uniques = pd.factorize(series)
    shared = np.array([table.setdefault(u, len(table)) for u in uniques], dtype=np.int32)
    return np.where(local >= 0, shared[np.maximum(local, 0)] if shared.size else 0, MISSING_CODE)


def _expected_code(
    item: _Item, choices: dict[int, dict[str, tuple[int, int]]], table: dict[Any, int]
) -> int:
    # An expected answer nobody gave gets a code no answer has: every answer then fails.
    if item.type == QuestionType.SELECT_ONE and item.choice_list_id is not None:
        return choices.get(item.choice_list_id, {}).get(item.attention_expected, (-1, 0))[0] - 1
    expected: Any
    if item.type in NUMERIC_TYPES:
        expected = pd.to_numeric(item.attention_expected, errors="coerce")
    else:
        expected = item.attention_expected.strip().casefold() or None
    return table.get(expected, -2)


def _epoch(values: Sequence[Any]) -> np.ndarray:
    stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
    seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return seconds.to_numpy(dtype=np.float64, na_value=np.nan)


def _ids(values: Sequence[Any]) -> np.ndarray:
    return pd.Series(values, dtype="Int64").fillna(-1).to_numpy(dtype=np.int64)


def _factorised(values: Any) -> np.ndarray:
    series = pd.Series(values, dtype=object)
    codes, _ = pd.factorize(series.where(series.notna() & (series != ""), None))
    return codes.astype(np.int64)


def _batteries(layout: _Layout, min_items: int) -> tuple[Battery, ...]:
    grouped: dict[tuple[str, int], list[int]] = {}
    for j, item in enumerate(layout.items):
        if (
            item.type == QuestionType.SELECT_ONE
            and item.choice_list_id
            and not item.attention_expected
        ):
            grouped.setdefault((item.page, item.choice_list_id), []).append(j)
    per_page: dict[str, int] = {}
    for page, _ in grouped:
        per_page[page] = per_page.get(page, 0) + 1
    return tuple(
        Battery(page if per_page[page] == 1 else f"{page}#{list_id}", tuple(columns))
        for (page, list_id), columns in grouped.items()
        if len(columns) >= min_items
    )
