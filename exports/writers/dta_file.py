"""The Stata .dta file, format 118 (Stata 14 and later, UTF-8), written from columns.

pyreadstat hands ReadStat one cell at a time from Python (a dictionary lookup, a type test
and a call per cell): most of an export's time. Here each column is encoded once with
numpy into its place in fixed-width records, a block of rows at a time, so the cost
follows the columns, not the cells. The layout follows Stata's own description of the
format ("help dta"):

  <stata_dta><header> release, byte order, K (uint16), N (uint64), data label, time stamp
  <map> 14 file offsets </map>  variable types, names, sort list, display formats,
  value-label names, variable labels, characteristics,
  <data> N records of fixed width </data>  <strls> the long strings </strls>
  <value_labels> one table per label set </value_labels></stata_dta>

Format 118 rather than 119: 119 only adds more than 32,767 variables (Stata/MP), and
readers disagree on how 119 packs a long string's reference, while 118 is read alike
by Stata 14 and later, ReadStat (pyreadstat, R's haven) and pandas.

Storage: integers in the smallest of byte, int and long whose range holds every value
(Stata keeps the top of each range for its missing values), other numbers as double;
a missing number is `.`, a missing code `.a`-`.z`; strings as str1-str2045 at the width
of their longest UTF-8 value, longer ones as strL (stored once each after the data).
Django-free.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from exports.writers.base import widest_utf8

RELEASE = 118
MAX_VARIABLES = 32_767
MAX_STR = 2045
NAME_BYTES = 129
FORMAT_BYTES = 57
LABEL_BYTES = 321
# Rows encoded per block: a block's records (about 220 bytes a row at 200 items) are the
# only copy of the data beyond the columns themselves.
BLOCK_ROWS = 50_000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TYPE_STRL = 32768
# Gap between the letters of extended missing values in a double: .a, .b, ...
DOUBLE_MISSING = 0x7FE0000000000000
DOUBLE_LETTER_STEP = 1 << 40
MAX_DOUBLE = 8.988465674311579e307
GSO_STRING = 130  # a strL holding text, stored with its closing NUL


@dataclass(frozen=True)
class Storage:
    """One Stata numeric storage type: its code, numpy type, valid range and `.`."""

    code: int
    dtype: str
    low: int
    high: int
    missing: int
    display: str


BYTE = Storage(65530, "<i1", -127, 100, 101, "%8.0g")
INT = Storage(65529, "<i2", -32767, 32740, 32741, "%8.0g")
LONG = Storage(65528, "<i4", -2147483647, 2147483620, 2147483621, "%12.0g")
DOUBLE = Storage(65526, "<u8", 0, 0, DOUBLE_MISSING, "%10.0g")
INTEGER_STORAGES = (BYTE, INT, LONG)
ColumnKind = Literal["numeric", "string", "date"]

ERROR_TOO_MANY = "Stata .dta holds at most 32,767 variables; this dataset has {count}"
ERROR_OUT_OF_RANGE = "variable {name!r} holds a number Stata cannot store (infinite or too large)"
ERROR_LENGTH = "column {name!r} has {got} values for {rows} rows"


class DtaError(ValueError):
    """The data cannot be stored in a .dta file; the message names the variable."""


@dataclass(frozen=True)
class DtaColumn:
    """One variable: its values (numbers as float64 or integers, NaN missing; strings as
    str; dates as days since 1960-01-01, NaN missing), missing code -> letter, the name
    of its value-label set ("" for none) and, for a date, its display format."""

    name: str
    label: str
    kind: ColumnKind
    values: np.ndarray
    letters: Mapping[int, str] = field(default_factory=dict)
    label_set: str = ""
    # Integers (codes, counts, flags) may take byte, int or long; decimals stay double.
    whole: bool = False


@dataclass(frozen=True)
class LabelSet:
    """A value-label table: code -> label, and extended-missing letter -> label."""

    name: str
    codes: Mapping[int, str]
    letters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Layout:
    code: int
    width: int
    display: str
    storage: Storage | None  # numbers
    strl: bool = False


def write(
    path: Path,
    columns: Sequence[DtaColumn],
    label_sets: Sequence[LabelSet],
    *,
    rows: int,
    file_label: str,
    timestamp: datetime,
) -> None:
    """Write the whole file (the columns already hold every row)."""
    if len(columns) > MAX_VARIABLES:
        raise DtaError(ERROR_TOO_MANY.format(count=len(columns)))
    for column in columns:
        if len(column.values) != rows:
            raise DtaError(ERROR_LENGTH.format(name=column.name, got=len(column.values), rows=rows))
    layouts = [_layout(c) for c in columns]
    offsets = np.cumsum([0, *(lay.width for lay in layouts)])
    record = np.dtype(
        {
            "names": [f"f{i}" for i in range(len(columns))],
            "formats": [_field_type(lay) for lay in layouts],
            "offsets": offsets[:-1].tolist(),
            "itemsize": int(offsets[-1]),
        }
    )
    with path.open("wb") as out:
        out.write(_header(len(columns), rows, file_label, timestamp))
        where = [0, out.tell()]
        out.write(b"<map>" + bytes(14 * 8) + b"</map>")
        sections = _descriptors(columns, layouts)
        for section in sections:
            where.append(out.tell())
            out.write(section)
        where.append(out.tell())
        out.write(b"<data>")
        for start in range(0, rows, BLOCK_ROWS):
            stop = min(rows, start + BLOCK_ROWS)
            out.write(_records(columns, layouts, record, start, stop).tobytes())
        out.write(b"</data>")
        where.append(out.tell())
        _write_strls(out, columns, layouts, rows)
        where.append(out.tell())
        out.write(_value_labels(label_sets))
        where.append(out.tell())
        out.write(b"</stata_dta>")
        where.append(out.tell())
        out.seek(where[1] + len(b"<map>"))
        out.write(struct.pack("<14Q", *where))


def _header(variables: int, rows: int, file_label: str, timestamp: datetime) -> bytes:
    label = file_label.encode("utf-8")
    stamp = (
        f"{timestamp.day:02d} {MONTHS[timestamp.month - 1]} {timestamp.year:04d} "
        f"{timestamp.hour:02d}:{timestamp.minute:02d}"
    ).encode("ascii")
    return b"".join(
        [
            b"<stata_dta><header>",
            f"<release>{RELEASE}</release>".encode("ascii"),
            b"<byteorder>LSF</byteorder>",
            b"<K>" + struct.pack("<H", variables) + b"</K>",
            b"<N>" + struct.pack("<Q", rows) + b"</N>",
            b"<label>" + struct.pack("<H", len(label)) + label + b"</label>",
            b"<timestamp>" + struct.pack("<B", len(stamp)) + stamp + b"</timestamp>",
            b"</header>",
        ]
    )


def _descriptors(columns: Sequence[DtaColumn], layouts: Sequence[_Layout]) -> list[bytes]:
    """The sections between the map and the data, in file order."""
    return [
        b"<variable_types>"
        + struct.pack(f"<{len(layouts)}H", *(lay.code for lay in layouts))
        + b"</variable_types>",
        b"<varnames>" + b"".join(_fixed(c.name, NAME_BYTES) for c in columns) + b"</varnames>",
        b"<sortlist>" + bytes(2 * (len(columns) + 1)) + b"</sortlist>",
        b"<formats>"
        + b"".join(_fixed(lay.display, FORMAT_BYTES) for lay in layouts)
        + b"</formats>",
        b"<value_label_names>"
        + b"".join(_fixed(c.label_set, NAME_BYTES) for c in columns)
        + b"</value_label_names>",
        b"<variable_labels>"
        + b"".join(_fixed(c.label, LABEL_BYTES) for c in columns)
        + b"</variable_labels>",
        b"<characteristics></characteristics>",
    ]


def _fixed(text: str, size: int) -> bytes:
    """NUL-padded UTF-8 in a field of `size` bytes (callers keep texts within it)."""
    data = text.encode("utf-8")[: size - 1]
    return data + bytes(size - len(data))


def _layout(column: DtaColumn) -> _Layout:
    if column.kind == "string":
        widest = widest_utf8(column.values)
        if widest > MAX_STR:
            return _Layout(TYPE_STRL, 8, "%9s", None, strl=True)
        width = max(1, widest)
        return _Layout(width, width, f"%{width}s", None)
    storage = _storage(column)
    display = "%td" if column.kind == "date" else storage.display
    return _Layout(storage.code, np.dtype(storage.dtype).itemsize, display, storage)


def _storage(column: DtaColumn) -> Storage:
    data = np.asarray(column.values, dtype=np.float64)
    valid = ~np.isnan(data)
    if column.letters:
        valid &= ~np.isin(data, list(column.letters))
    values = data[valid]
    if not np.isfinite(values).all() or (values.size and np.abs(values).max() > MAX_DOUBLE):
        raise DtaError(ERROR_OUT_OF_RANGE.format(name=column.name))
    if (column.whole or column.kind == "date") and (values == np.round(values)).all():
        low, high = (values.min(), values.max()) if values.size else (0, 0)
        for storage in INTEGER_STORAGES:
            if storage.low <= low and high <= storage.high:
                return storage
    return DOUBLE


def _field_type(layout: _Layout) -> str:
    if layout.storage is not None:
        return layout.storage.dtype
    if layout.strl:
        return "<u8"
    return f"S{layout.width}"


def _records(
    columns: Sequence[DtaColumn],
    layouts: Sequence[_Layout],
    record: np.dtype[np.void],
    start: int,
    stop: int,
) -> np.ndarray:
    block = np.zeros(stop - start, dtype=record)
    for i, (column, layout) in enumerate(zip(columns, layouts, strict=True)):
        values = column.values[start:stop]
        if layout.strl:
            block[f"f{i}"] = _strl_refs(values, variable=i + 1, first_row=start + 1)
        elif layout.storage is None:
            block[f"f{i}"] = _encoded(values)
        else:
            block[f"f{i}"] = _numbers(values, column.letters, layout.storage)
    return block


def _encoded(values: np.ndarray) -> np.ndarray:
    """Strings as UTF-8 bytes (numpy pads each field with NULs, as Stata stores them)."""
    return np.array([text.encode("utf-8") for text in values.tolist()], dtype=object)


def _numbers(values: np.ndarray, letters: Mapping[int, str], storage: Storage) -> np.ndarray:
    data = np.asarray(values, dtype=np.float64)
    missing = np.isnan(data)
    if storage is DOUBLE:
        out = np.where(missing, 0.0, data).view(np.uint64).copy()
        out[missing] = DOUBLE_MISSING
        for code, letter in letters.items():
            out[data == code] = DOUBLE_MISSING + (_letter(letter) + 1) * DOUBLE_LETTER_STEP
        return out
    out = np.where(missing, storage.missing, data).astype(storage.dtype)
    for code, letter in letters.items():
        out[data == code] = storage.missing + 1 + _letter(letter)
    return out


def _letter(letter: str) -> int:
    return ord(letter) - ord("a")


def _strl_refs(values: np.ndarray, *, variable: int, first_row: int) -> np.ndarray:
    """(v, o) of each non-empty strL cell, packed as format 118 packs them: v in the low
    two bytes, o (the 1-based row) in the six above; an empty cell is (0, 0)."""
    rows = np.arange(first_row, first_row + len(values), dtype=np.uint64)
    refs = np.uint64(variable) | (rows << np.uint64(16))
    empty = np.array([not text for text in values.tolist()], dtype=bool)
    refs[empty] = 0
    return refs


def _write_strls(
    out: BinaryIO, columns: Sequence[DtaColumn], layouts: Sequence[_Layout], rows: int
) -> None:
    """One GSO block per non-empty strL cell, in (row, variable) order as Stata keeps them."""
    out.write(b"<strls>")
    long_columns = [
        (i + 1, c.values)
        for i, (c, lay) in enumerate(zip(columns, layouts, strict=True))
        if lay.strl
    ]
    for row, variable, text in _strl_cells(long_columns, rows):
        data = text.encode("utf-8") + b"\0"
        out.write(b"GSO" + struct.pack("<IQBI", variable, row, GSO_STRING, len(data)) + data)
    out.write(b"</strls>")


def _strl_cells(
    long_columns: Sequence[tuple[int, np.ndarray]], rows: int
) -> Iterator[tuple[int, int, str]]:
    for start in range(0, rows, BLOCK_ROWS):
        stop = min(rows, start + BLOCK_ROWS)
        block = [(v, values[start:stop].tolist()) for v, values in long_columns]
        for offset in range(stop - start):
            for variable, texts in block:
                if texts[offset]:
                    yield start + offset + 1, variable, texts[offset]


def _value_labels(label_sets: Sequence[LabelSet]) -> bytes:
    parts = [b"<value_labels>"]
    for label_set in label_sets:
        entries = sorted(label_set.codes.items()) + [
            (LONG.missing + 1 + _letter(letter), text)
            for letter, text in sorted(label_set.letters.items())
        ]
        texts = [text.encode("utf-8") + b"\0" for _code, text in entries]
        starts = np.cumsum([0, *(len(t) for t in texts)])[:-1]
        count = len(entries)
        table = (
            struct.pack("<ii", count, sum(len(t) for t in texts))
            + struct.pack(f"<{count}i", *starts.tolist())
            + struct.pack(f"<{count}i", *(code for code, _text in entries))
            + b"".join(texts)
        )
        parts.append(
            b"<lbl>"
            + struct.pack("<i", len(table))
            + _fixed(label_set.name, NAME_BYTES)
            + bytes(3)
            + table
            + b"</lbl>"
        )
    parts.append(b"</value_labels>")
    return b"".join(parts)
