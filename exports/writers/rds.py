"""R .rds through pyreadr: a data.frame with factors for labelled variables.

pyreadr writes no variable or value labels (docs/methods.md 7.2), so the decision is:
- a numeric variable whose every valid value in the file has a value label becomes an R
  factor whose levels are its labels in code order (unused levels kept, so every wave's
  factor has the same levels); the codes are in the codebook and datapackage.json;
- a labelled variable holding values without a label (a 0-10 scale labelled only at its
  ends, a harmonised twin with non-integer codes such as 6.4) stays numeric: a factor
  would turn those values into NA. pyreadr writes no R attributes, so its labels are in
  the codebook (and in the .sav/.dta exports, which haven reads as `labelled`);
- missing codes become NA, since R has no user-defined missing values and factor levels
  such as "Not asked" would enter every analysis; the reason for each missing value is in
  the .sav, .dta, .csv and .parquet exports of the same data (haven::read_sav(user_na =
  TRUE) keeps it in R);
- other numeric variables stay numeric (R double), strings stay character.
Written whole (pyreadr has no appending writer); factors hold 1 byte per cell for up to 127
levels (pandas int8 codes), measures 8.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr

from exports.dataset import Dataset, Variable
from exports.writers.base import Progress, WrittenFiles, assemble

EXTENSION = "rds"
NOTE = (
    "R .rds: a labelled variable is a factor (levels = labels, codes in the codebook) when "
    "every value it holds has a label; otherwise it stays numeric, with its value labels in "
    "the codebook only (pyreadr writes no R attributes). Missing codes are NA (the reasons "
    "are in the .sav/.dta/.csv/.parquet exports)."
)


def write_rds(
    dataset: Dataset, directory: Path, *, basename: str, progress: Progress | None = None
) -> WrittenFiles:
    frame = assemble(dataset, progress)
    for variable in dataset.variables:
        if variable.kind == "numeric":
            frame[variable.name] = r_column(variable, frame[variable.name])
    path = directory / f"{basename}.{EXTENSION}"
    pyreadr.write_rds(str(path), frame, compress="gzip")
    return WrittenFiles(paths=[path], rows=len(frame), notes=[NOTE])


def r_column(variable: Variable, column: pd.Series) -> pd.Series:
    values = column.to_numpy(dtype=np.float64)
    is_missing = np.isin(values, list(variable.missing_codes)) | np.isnan(values)
    codes = np.array(sorted(variable.value_labels), dtype=np.float64)
    valid = values[~is_missing]
    if not variable.value_labels or not np.isin(valid, codes).all():
        return pd.Series(np.where(is_missing, np.nan, values), index=column.index)
    index = np.searchsorted(codes, values).clip(0, len(codes) - 1)
    index[is_missing] = -1
    levels = _unique_levels({int(c): variable.value_labels[int(c)] for c in codes})
    return pd.Series(
        pd.Categorical.from_codes(index, categories=pd.Index(levels)), index=column.index
    )


def _unique_levels(labels: dict[int, str]) -> list[str]:
    """Factor levels must be unique; codes sharing a label get their code appended."""
    counts = Counter(labels.values())
    return [label if counts[label] == 1 else f"{label} [{code}]" for code, label in labels.items()]
