"""CSV, UTF-8, codes not labels (docs/methods.md 7.3): the labels are in the codebook.

Streamed chunk by chunk, so memory holds one chunk whatever the study's size. The missing-
value policy: a missing answer is an empty cell (null), and datapackage.json says why each
code exists; with `keep_missing_codes` the cell holds its negative code instead. Integer
codes and counts print as integers, 0/1 flags as 1 and 0, choices whose XLSForm names are
not their codes as the names ("ge"), dates as ISO dates. A text cell that a spreadsheet
would run as a formula is made inert (surveys/csvcells.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from exports.dataset import Dataset, Variable, gettext_noop
from exports.writers.base import Progress, WrittenFiles, is_missing, stream
from surveys.csvcells import escape_formula

EXTENSION = "csv"
# Decimals keep up to 15 significant digits.
FLOAT_FORMAT = "%.15g"
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
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(v.name for v in dataset.variables) + "\n")
        for chunk in stream(dataset, progress):
            frame = pd.DataFrame(
                {
                    v.name: csv_column(v, chunk[v.name], keep_codes=dataset.keep_missing_codes)
                    for v in dataset.variables
                }
            )
            frame.to_csv(out, header=False, index=False, float_format=FLOAT_FORMAT)
            rows += len(chunk)
    note = NOTE_CODES if dataset.keep_missing_codes else NOTE
    return WrittenFiles(paths=[path], rows=rows, notes=[dataset.translate(note)])


def csv_column(variable: Variable, column: pd.Series, *, keep_codes: bool) -> pd.Series:
    if variable.kind == "string":
        if variable.type == "date":
            return column.fillna("").astype(str)
        return column.fillna("").astype(str).map(escape_formula)
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = is_missing(variable, values)
    if not keep_codes:
        values = np.where(missing, np.nan, values)
    if variable.choice_names:
        names = {float(c): n for c, n in variable.choice_names.items()}
        texts = [
            "" if np.isnan(v) else names.get(v, str(int(v)) if v.is_integer() else str(v))
            for v in values
        ]
        return pd.Series(texts, index=column.index, dtype=object)
    if variable.type in ("integer", "boolean") and np.all(
        np.isnan(values) | (values == np.round(values))
    ):
        return pd.Series(pd.array(values, dtype="Float64"), index=column.index).astype("Int64")
    return pd.Series(values, index=column.index)
