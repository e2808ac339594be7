"""What every file writer shares: its result, label shortening, and the whole-frame assembly.

Labels too long for a format are shortened visibly (an ellipsis, or a `_N` suffix on names,
which cannot hold one) and every shortening is returned, so the codebook can list the full
text; nothing is ever cut silently (docs/methods.md 7.1 measured the limits).

Django-free: writers read only exports.dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from exports.dataset import Dataset, Variable

ELLIPSIS = "…"
ShorteningKind = Literal["name", "variable_label", "value_label", "file_label"]
# Called after each chunk with the number of rows written so far.
Progress = Callable[[int], None]

ERROR_BAD_NAME = "variable name {name!r} is not valid for {format}: {reason}"
ERROR_COLUMNS = "chunk columns {got} differ from the dataset's variables {expected}"
ERROR_ROWS = "the dataset announced {expected} rows but its chunks held {got}"


class WriterError(ValueError):
    """A dataset cannot be written in a format as it stands; the message names the variable."""


@dataclass(frozen=True)
class Shortening:
    """One label or name a format could not hold whole, with both texts."""

    format: str
    variable: str
    kind: ShorteningKind
    original: str
    shortened: str
    # The value whose label was shortened (value labels only).
    code: int | None = None


@dataclass(frozen=True)
class WrittenFiles:
    paths: list[Path]
    shortenings: list[Shortening] = field(default_factory=list)
    rows: int = 0
    # Format-specific notes for the codebook (how missing codes were mapped, ...).
    notes: list[str] = field(default_factory=list)


def shorten_chars(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def shorten_bytes(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut at a character boundary, ending in an ellipsis."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut.rstrip() + ELLIPSIS


class Shortener:
    """Collects the shortenings one writer makes."""

    def __init__(self, format_name: str) -> None:
        self.format = format_name
        self.made: list[Shortening] = []

    def fit(
        self,
        text: str,
        shortened: str,
        *,
        variable: str,
        kind: ShorteningKind,
        code: int | None = None,
    ) -> str:
        if shortened != text:
            self.made.append(Shortening(self.format, variable, kind, text, shortened, code))
        return shortened


def check_columns(chunk: pd.DataFrame, variables: list[Variable]) -> None:
    expected = [v.name for v in variables]
    if list(chunk.columns) != expected:
        raise WriterError(ERROR_COLUMNS.format(got=list(chunk.columns), expected=expected))


def check_rows(dataset: Dataset, written: int) -> None:
    if written != dataset.rows:
        raise WriterError(ERROR_ROWS.format(expected=dataset.rows, got=written))


def _int_dtype(variable: Variable) -> np.dtype[np.signedinteger] | None:
    """The smallest integer type that holds every declared code, or None for measures."""
    if variable.kind != "numeric" or variable.measure == "scale" or not variable.value_labels:
        return None
    codes = [*variable.value_labels, *variable.missing_codes]
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= min(codes) and max(codes) <= info.max:
            return np.dtype(dtype)
    return None


class ColumnBuffer:
    """One preallocated column of the whole file.

    Labelled codes start in the smallest integer type their declared codes fit (1 byte for
    most items instead of 8); a chunk holding a value that type cannot represent exactly
    promotes the column to float64 once, so nothing is ever rounded.
    """

    def __init__(self, variable: Variable, rows: int) -> None:
        self.variable = variable
        self.values: np.ndarray
        if variable.kind == "string":
            self.values = np.empty(rows, dtype=object)
        else:
            self.values = np.empty(rows, dtype=_int_dtype(variable) or np.float64)

    def put(self, start: int, series: pd.Series) -> None:
        stop = start + len(series)
        if self.variable.kind == "string":
            self.values[start:stop] = series.fillna("").astype(str).to_numpy(dtype=object)
            return
        data = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if self.values.dtype.kind == "i" and not _fits(data, self.values.dtype):
            self.values = self.values.astype(np.float64)
        self.values[start:stop] = data


def _fits(data: np.ndarray, dtype: np.dtype[np.signedinteger]) -> bool:
    if not np.isfinite(data).all() or not (data == np.round(data)).all():
        return False
    info = np.iinfo(dtype)
    return bool(data.size == 0 or (info.min <= data.min() and data.max() <= info.max))


def assemble(dataset: Dataset, progress: Progress | None = None) -> pd.DataFrame:
    """The whole dataset as one frame of compact columns, for formats written whole.

    Memory: about rows x (1 byte per labelled item fitting int8, 8 per measure, a pointer
    plus the text per string); chunks are copied in and dropped, so the peak is the frame
    plus one chunk (1,000,000 x 200 labelled items: about 200 MB before the writer's own).
    """
    buffers = [ColumnBuffer(v, dataset.rows) for v in dataset.variables]
    written = 0
    for chunk in dataset.chunks():
        check_columns(chunk, dataset.variables)
        if written + len(chunk) > dataset.rows:
            raise WriterError(ERROR_ROWS.format(expected=dataset.rows, got=written + len(chunk)))
        for buffer in buffers:
            buffer.put(written, chunk[buffer.variable.name])
        written += len(chunk)
        if progress is not None:
            progress(written)
    check_rows(dataset, written)
    return pd.DataFrame({b.variable.name: b.values for b in buffers}, copy=False)


def stream(dataset: Dataset, progress: Progress | None = None) -> Iterable[pd.DataFrame]:
    """The dataset's chunks, checked, with progress reported after each."""
    written = 0
    for chunk in dataset.chunks():
        check_columns(chunk, dataset.variables)
        yield chunk
        written += len(chunk)
        if progress is not None:
            progress(written)
    check_rows(dataset, written)


def labelled_codes(variable: Variable) -> Mapping[int, str]:
    """Substantive and missing codes with their labels, substantive first."""
    return {**variable.value_labels, **variable.missing_codes}


# -- The missing-value policy shared by every format ----------------------------------
# Internal missing codes (docs/methods.md 7.6) and their Stata / haven letters; an item's
# own missing choices (WVS -7.., ESS 77/88/99) take the next free letters.
FIXED_LETTERS = {-1: "a", -2: "b", -3: "c", -4: "d", -5: "e", -6: "f"}
ERROR_TOO_MANY_MISSING = "more than 26 distinct missing codes: {codes}"


def missing_letters(variables: Iterable[Variable]) -> dict[int, str]:
    """Every missing code of the dataset -> its extended-missing letter (.a-.z)."""
    codes = sorted({c for v in variables for c in v.missing_codes if c not in FIXED_LETTERS})
    free = [chr(c) for c in range(ord("g"), ord("z") + 1)]
    if len(codes) > len(free):
        raise WriterError(ERROR_TOO_MANY_MISSING.format(codes=codes))
    return {**FIXED_LETTERS, **dict(zip(codes, free, strict=False))}


def is_missing(variable: Variable, values: np.ndarray) -> np.ndarray:
    """Which numeric cells hold a missing code (or nothing at all)."""
    data = np.asarray(values, dtype=np.float64)
    return np.isnan(data) | np.isin(data, list(variable.missing_codes))


def integer_width(values: np.ndarray, codes: Iterable[int] = ()) -> int:
    """Characters the widest integer takes (sign included), for SPSS formats."""
    data = np.asarray(values, dtype=np.float64)
    finite = data[np.isfinite(data)]
    extremes = [*codes, *([finite.min(), finite.max()] if finite.size else [])]
    return max([1, *(len(str(int(v))) for v in extremes)])


def smallest_int(codes: Iterable[float]) -> np.dtype[np.signedinteger]:
    values = list(codes)
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if not values or (info.min <= min(values) and max(values) <= info.max):
            return np.dtype(dtype)
    return np.dtype(np.int64)


def days_since_1970(values: Iterable[object]) -> np.ndarray:
    """ISO date texts as days since 1 January 1970 (float64), NaN where there is none."""
    dates = np.array(
        [np.datetime64("NaT") if d is None else d for d in iso_dates(values)],
        dtype="datetime64[D]",
    )
    days = dates.astype(np.int64).astype(np.float64)
    days[np.isnat(dates)] = np.nan
    return days


def widest_utf8(values: np.ndarray) -> int:
    """Bytes of the longest value's UTF-8 (0 for none), counted in pyarrow."""
    if not len(values):
        return 0
    lengths = pc.binary_length(pa.array(values, type=pa.string()))
    return int(pc.max(lengths).as_py() or 0)


def iso_dates(values: Iterable[object]) -> list[date | None]:
    """ISO date text (the date column's values) as dates; "" or unreadable as None."""
    out: list[date | None] = []
    for value in values:
        try:
            out.append(date.fromisoformat(str(value)[:10]) if value else None)
        except ValueError:
            out.append(None)
    return out
