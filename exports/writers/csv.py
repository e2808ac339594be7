"""CSV, UTF-8, codes not labels (docs/methods.md 7.3): the labels are in the codebook.

Streamed chunk by chunk, so memory holds one chunk whatever the study's size. The missing-
value policy: a missing answer is an empty cell (null), and datapackage.json says why each
code exists; with `keep_missing_codes` the cell holds its negative code instead. Integer
codes and counts print as integers, 0/1 flags as 1 and 0, choices whose XLSForm names are
not their codes as the names ("ge"), dates as ISO dates, decimals with up to 15 significant
digits. A text cell that a spreadsheet would run as a formula is made inert
(surveys/csvcells.py).

Each column becomes text in pyarrow, whole (integers cast in C++, choice names looked up
per distinct code; only decimals that are not whole numbers go through Python's
formatting), and a chunk's lines are joined in pyarrow too, so no Python runs per cell.
Cells are quoted as pandas quoted them (QUOTE_MINIMAL with newline-ended lines): only those
holding a comma, a quote or a newline, with quotes doubled; the bytes are the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from exports.dataset import Dataset, Variable, gettext_noop
from exports.writers.base import Progress, WrittenFiles, is_missing, stream
from surveys.csvcells import FORMULA_STARTS

EXTENSION = "csv"
# Decimals keep up to 15 significant digits.
FLOAT_FORMAT = "%.15g"
# Whole numbers below this print exactly as FLOAT_FORMAT prints them.
EXACT_INTEGERS = 1e15
NEEDS_QUOTES = r'[,"\n]'
FORMULA = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_STARTS) + "]"
NOTE = gettext_noop(
    "CSV: a missing answer is an empty cell (its reason is in the .sav/.dta/.rds exports, "
    "or in this format with --missing-codes); 0/1 flags are 1 and 0."
)
NOTE_CODES = gettext_noop(
    "CSV: missing answers keep their codes (--missing-codes): see the missing codes."
)


def write_csv(
    dataset: Dataset, directory: Path, *, basename: str, progress: Progress | None = None
) -> WrittenFiles:
    path = directory / f"{basename}.{EXTENSION}"
    rows = 0
    keep = dataset.keep_missing_codes
    with path.open("wb") as out:
        out.write((",".join(v.name for v in dataset.variables) + "\n").encode("utf-8"))
        for chunk in stream(dataset, progress):
            if len(chunk):
                cells = [csv_column(v, chunk[v.name], keep_codes=keep) for v in dataset.variables]
                out.write(_lines(cells))
            rows += len(chunk)
    note = NOTE_CODES if dataset.keep_missing_codes else NOTE
    return WrittenFiles(paths=[path], rows=rows, notes=[dataset.translate(note)])


def _lines(cells: list[pa.Array]) -> bytes:
    """The rows as CSV lines, each ended by a newline, as one block of UTF-8."""
    joined = pc.binary_join_element_wise(*cells, ",")
    ended = pc.binary_join_element_wise(joined, pa.scalar("\n"), "")
    # A string array's values are its lines back to back: the block itself.
    array = ended.cast(pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    data = array.buffers()[2]
    return data[int(offsets[0]) : int(offsets[-1])].to_pybytes() if data is not None else b""


def csv_column(variable: Variable, column: pd.Series, *, keep_codes: bool) -> pa.Array:
    """The column's cells as CSV text (quoted where needed), one string per row."""
    if variable.kind == "string":
        texts = pa.array(column.fillna("").astype(str).to_numpy(dtype=object), type=pa.string())
        if variable.type != "date":
            texts = _inert(texts)
        return _quoted(texts)
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = is_missing(variable, values)
    if not keep_codes:
        values = np.where(missing, np.nan, values)
    texts = _numbers(values)
    if variable.choice_names:
        names = {float(c): n for c, n in variable.choice_names.items()}
        named = pd.Series(values).map(names).to_numpy(dtype=object)
        has_name = pd.notna(named)
        if has_name.any():
            named[~has_name] = None
            named_texts = pa.array(named, type=pa.string())
            texts = _quoted(pc.if_else(pa.array(has_name), named_texts, texts))
    return texts


def _numbers(values: np.ndarray) -> pa.Array:
    """Numbers as FLOAT_FORMAT prints them, NaN as an empty cell."""
    finite = np.isfinite(values)
    whole = finite & (values == np.round(values)) & (np.abs(values) < EXACT_INTEGERS)
    integers = pa.array(np.where(whole, values, 0).astype(np.int64), mask=~whole)
    texts = pc.cast(integers, pa.string())
    other = finite & ~whole
    if other.any():
        formatted = np.full(len(values), None, dtype=object)
        formatted[other] = [FLOAT_FORMAT % v for v in values[other]]
        texts = pc.if_else(pa.array(other), pa.array(formatted, type=pa.string()), texts)
    return pc.fill_null(texts, "")


def _inert(texts: pa.Array) -> pa.Array:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    formula = pc.match_substring_regex(texts, FORMULA)
    return pc.if_else(formula, pc.binary_join_element_wise("'", texts, ""), texts)


def _quoted(texts: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(texts, NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return texts
    doubled = pc.replace_substring(texts, '"', '""')
    wrapped = pc.binary_join_element_wise('"', doubled, '"', "")
    return pc.if_else(needs, wrapped, texts)
