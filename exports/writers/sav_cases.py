"""The cases of an SPSS .sav file, bytecode-compressed from columns with numpy.

pyreadstat hands ReadStat one cell at a time from Python, which was most of an export's
time. The SPSS writer therefore lets ReadStat write the dictionary alone (names, labels,
value labels, missing values, formats, measures, the long-string segments: the part every
reader is fussy about) for one row holding each column's widest value, and this module
replaces that row with the real cases, encoded a block of rows at a time.

The data follow the system-file format as PSPP documents it ("System File Format"):
each case is a run of 8-byte slots (a number as an IEEE double, the system-missing value
-DBL_MAX where there is none; text space-padded, a string wider than 255 bytes split into
segments of 255 bytes each stored in 256). Bytecode compression writes, for every 8 slots,
an 8-byte block of codes followed by the slots it could not code: 1-251 a whole number
from -99 to 151 (code - 100), 253 a slot given as is, 254 eight spaces, 255
system-missing, 0 padding that readers skip. The stream runs on across cases; each block
of rows ends on whole cases, padded with 0.

Django-free.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

HEADER_BYTES = 176
NOMINAL_CASE_SIZE_AT = 68
COMPRESSION_AT = 72
CASES_AT = 80
BYTECODE = 1
SYSMIS = np.uint64(0xFFEFFFFFFFFFFFFF)  # -DBL_MAX
EIGHT_SPACES = np.uint64(0x2020202020202020)
SPACE = 0x20
SEGMENT_BYTES = 255
# Bytes of a very long string each further segment adds to the declared width (ReadStat
# declares ceil(width / 252) segments).
SEGMENT_STEP = 252
SHORT_STRING = 255
CODE_BIAS = 100
RAW = 253
BLANK = 254
MISSING = 255
# Rows encoded per block: the block's slots (8 bytes each) and their codes are the only
# copy of the data beyond the columns themselves.
BLOCK_ROWS = 20_000
# The days from SPSS's day 0 (14 October 1582) to 1 January 1970.
SPSS_DAYS_TO_1970 = 141_428
SECONDS_PER_DAY = 86_400

ERROR_LAYOUT = "the .sav dictionary does not match the data: {detail}"
ERROR_RECORD = "the .sav dictionary has an unknown record type {record} at byte {offset}"

ColumnKind = Literal["numeric", "string"]


class SavLayoutError(ValueError):
    """The dictionary ReadStat wrote is not the one the columns need."""


@dataclass(frozen=True)
class CaseColumn:
    """One variable's values: numbers (integers, or floats with NaN for system-missing;
    made float64 a block at a time), text as str with `width` its widest value's UTF-8
    bytes (the width the dictionary declares)."""

    kind: ColumnKind
    values: np.ndarray
    width: int = 0


@dataclass(frozen=True)
class _Dictionary:
    segments: list[tuple[int, int]]  # (type: 0 numeric, else string width; slots)
    data_start: int
    cases_record_at: int | None  # the 64-bit case count of the number-of-cases record


def replace_cases(path: Path, columns: Sequence[CaseColumn], rows: int) -> None:
    """Keep the dictionary of the .sav at `path`, write `columns` as its cases."""
    with path.open("r+b") as out:
        dictionary = _read_dictionary(out)
        layout = _layout(columns, dictionary.segments)
        out.seek(dictionary.data_start)
        out.truncate()
        for start in range(0, rows, BLOCK_ROWS):
            stop = min(rows, start + BLOCK_ROWS)
            out.write(compress(_slots(columns, layout, start, stop), _string_slots(layout)))
        out.seek(CASES_AT)
        out.write(struct.pack("<i", rows))
        out.seek(COMPRESSION_AT)
        out.write(struct.pack("<i", BYTECODE))
        if dictionary.cases_record_at is not None:
            out.seek(dictionary.cases_record_at)
            out.write(struct.pack("<q", rows))


def spss_dates(days_since_1970: np.ndarray) -> np.ndarray:
    """Dates as SPSS stores them: seconds since 14 October 1582."""
    return (np.asarray(days_since_1970, dtype=np.float64) + SPSS_DAYS_TO_1970) * SECONDS_PER_DAY


def _read_dictionary(source: BinaryIO) -> _Dictionary:
    data = source.read()
    (slots_declared,) = struct.unpack_from("<i", data, NOMINAL_CASE_SIZE_AT)
    offset = HEADER_BYTES
    segments: list[tuple[int, int]] = []
    cases_record_at = None
    while True:
        (record,) = struct.unpack_from("<i", data, offset)
        offset += 4
        if record == 2:
            kind, has_label, n_missing = struct.unpack_from("<3i", data, offset)
            offset += 28
            if has_label:
                (length,) = struct.unpack_from("<i", data, offset)
                offset += 4 + (length + 3) // 4 * 4
            offset += 8 * abs(n_missing)
            if kind == -1:
                segments[-1] = (segments[-1][0], segments[-1][1] + 1)
            else:
                segments.append((kind, 1))
        elif record == 3:
            (count,) = struct.unpack_from("<i", data, offset)
            offset += 4
            for _ in range(count):
                length = data[offset + 8]
                offset += 8 + (length + 1 + 7) // 8 * 8
            (record, count) = struct.unpack_from("<2i", data, offset)
            offset += 8 + 4 * count
        elif record == 6:
            (lines,) = struct.unpack_from("<i", data, offset)
            offset += 4 + 80 * lines
        elif record == 7:
            subtype, size, count = struct.unpack_from("<3i", data, offset)
            offset += 12
            if subtype == 16:
                cases_record_at = offset + 8
            offset += size * count
        elif record == 999:
            offset += 4
            break
        else:
            raise SavLayoutError(ERROR_RECORD.format(record=record, offset=offset - 4))
    if sum(slots for _kind, slots in segments) != slots_declared:
        raise SavLayoutError(ERROR_LAYOUT.format(detail="slot count"))
    return _Dictionary(segments, offset, cases_record_at)


@dataclass(frozen=True)
class _Placed:
    column: int
    first_slot: int
    slots: int
    # Strings: the value's bytes this segment holds (from, to).
    start: int = 0
    stop: int = 0


def _layout(columns: Sequence[CaseColumn], segments: list[tuple[int, int]]) -> list[_Placed]:
    """Each column's slots, checked against the variables ReadStat declared."""
    placed: list[_Placed] = []
    slot = 0
    position = 0
    for index, column in enumerate(columns):
        count = 1 if column.kind == "numeric" else segment_count(column.width)
        declared = segments[position : position + count]
        if len(declared) != count:
            raise SavLayoutError(ERROR_LAYOUT.format(detail="fewer variables than columns"))
        for k, (kind, slots) in enumerate(declared):
            if (kind == 0) != (column.kind == "numeric"):
                raise SavLayoutError(ERROR_LAYOUT.format(detail=f"column {index}'s type"))
            start = k * SEGMENT_BYTES
            stop = start + min(kind, SEGMENT_BYTES) if kind else 0
            placed.append(_Placed(index, slot, slots, start, stop))
            slot += slots
        position += count
    if position != len(segments):
        raise SavLayoutError(ERROR_LAYOUT.format(detail="more variables than columns"))
    return placed


def segment_count(width: int) -> int:
    """Variables a string of `width` bytes takes (ReadStat's rule for very long strings)."""
    if width <= SHORT_STRING:
        return 1
    return (width + SEGMENT_STEP - 1) // SEGMENT_STEP


def _string_slots(layout: list[_Placed]) -> np.ndarray:
    total = sum(p.slots for p in layout)
    mask = np.zeros(total, dtype=bool)
    for p in layout:
        if p.stop:
            mask[p.first_slot : p.first_slot + p.slots] = True
    return mask


def _slots(
    columns: Sequence[CaseColumn], layout: list[_Placed], start: int, stop: int
) -> np.ndarray:
    """The block's cases as a (rows, slots) array of 8-byte slots."""
    total = sum(p.slots for p in layout)
    out = np.empty((stop - start, total), dtype=np.uint64)
    as_bytes = out.view(np.uint8)
    encoded: dict[int, np.ndarray] = {}
    for p in layout:
        column = columns[p.column]
        if column.kind == "numeric":
            data = np.asarray(column.values[start:stop], dtype=np.float64)
            slot = data.view(np.uint64).copy()
            slot[np.isnan(data)] = SYSMIS
            out[:, p.first_slot] = slot
            continue
        if p.column not in encoded:
            encoded[p.column] = _text_bytes(column.values[start:stop])
        text = encoded[p.column]
        piece = text[:, p.start : min(p.stop, text.shape[1])]
        first = p.first_slot * 8
        as_bytes[:, first : first + p.slots * 8] = SPACE
        as_bytes[:, first : first + piece.shape[1]] = piece
    return out


def _text_bytes(values: np.ndarray) -> np.ndarray:
    """UTF-8 of each value as a (rows, widest) byte array, spaces after the text."""
    encoded = np.array([str(v).encode("utf-8") for v in values.tolist()], dtype=bytes)
    if encoded.dtype.itemsize == 0:
        encoded = encoded.astype("S1")
    matrix = encoded.view(np.uint8).reshape(len(values), encoded.dtype.itemsize)
    return np.where(matrix == 0, SPACE, matrix).astype(np.uint8)


def compress(slots: np.ndarray, string_slots: np.ndarray) -> bytes:
    """Bytecode compression of whole cases, vectorised: every slot's code, then each
    group of 8 codes placed before the slots of that group that are given as is."""
    rows = slots.shape[0]
    cells = slots.reshape(-1)
    strings = np.tile(string_slots, rows)
    numbers = cells.view(np.float64)
    whole = (numbers > -CODE_BIAS) & (numbers < 152) & (numbers == np.trunc(numbers))
    codes = np.full(len(cells), RAW, dtype=np.uint8)
    codes[~strings & whole] = (numbers[~strings & whole] + CODE_BIAS).astype(np.uint8)
    codes[~strings & (cells == SYSMIS)] = MISSING
    codes[strings & (cells == EIGHT_SPACES)] = BLANK
    padded = -len(codes) % 8
    codes = np.concatenate([codes, np.zeros(padded, dtype=np.uint8)])
    raw = codes == RAW
    groups = len(codes) // 8
    # Slots given as is before each cell (exclusive running count), and before each group.
    before = np.cumsum(raw) - raw
    group_of = np.arange(len(codes)) // 8
    out = np.empty(groups + int(raw.sum()), dtype=np.uint64)
    group_first = before[::8]
    out[np.arange(groups) + group_first] = codes.view(np.uint64)
    cell_index = np.flatnonzero(raw)
    out[group_of[cell_index] + 1 + before[cell_index]] = cells[cell_index]
    # Little-endian like the dictionary ReadStat wrote on this machine (x86, ARM).
    return out.astype("<u8").tobytes()
