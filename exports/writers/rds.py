"""R: the data as .rds (exports/writers/rds_file.py, the data.frame pyreadr wrote), and an R
script beside it that makes it labelled.

The .rds carries no labels (docs/methods.md 7.2), so, as REDCap and LimeSurvey do, an R
script ships with the data:
- `<basename>.rds`: a data.frame that is safe on its own: a missing answer is NA, codes
  and counts are R integers, 0/1 flags logicals, decimals doubles, text and dates
  character (dates as text);
- `<basename>_missing.rds`: the reason of each missing answer: for each variable that has
  one, an integer column holding the missing code where the answer is missing (NA
  elsewhere);
- `<basename>.R`: `source()` it (in the folder of the files, or with `pw_dir` set to it)
  and `data` holds haven-labelled columns (install.packages("haven")): variable labels,
  value labels, and each missing answer as haven's tagged NA (`haven::na_tag(x)` gives
  its letter, the same letter as Stata's extended missing value, and the labels name
  it); dates become Date; flags stay logical with their reasons in attribute
  "na_reason". `mean(x, na.rm = TRUE)` then averages the valid answers, as in SPSS and
  Stata.
Written whole (the script and the missing reasons need every column).
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from exports.dataset import Dataset, Variable, gettext_noop
from exports.writers.base import (
    Progress,
    WrittenFiles,
    assemble,
    is_missing,
    missing_letters,
)
from exports.writers.rds_file import write_data_frame

EXTENSION = "rds"
# gzip level 1: several times faster than 9 on survey codes, for a slightly larger file.
GZIP_LEVEL = 1
NOTE = gettext_noop(
    "R: the .rds holds NA for every missing answer; source() the .R script beside it for "
    "haven-labelled columns with variable and value labels and each missing answer's "
    "reason as a tagged NA (haven::na_tag), dates as Date."
)
# The script's opening comment, in the export's language (one line per line).
SCRIPT_COMMENT = gettext_noop(
    "{title}: variable labels, value labels and missing reasons for R, with haven.\n"
    "source() this file in the folder of the export (or set pw_dir to that folder first):\n"
    "`data` then holds haven-labelled columns; a missing answer is NA, and haven::na_tag()\n"
    "gives its reason's letter (the labels name it). mean(x, na.rm = TRUE) averages the\n"
    'valid answers. Needs install.packages("haven").'
)
SCRIPT_HEAD = """\
{comment}
library(haven)
pw_dir <- if (exists("pw_dir")) pw_dir else tryCatch(
  dirname(sys.frame(1)$ofile), error = function(e) getwd()
)
data <- readRDS(file.path(pw_dir, "{data}"))
reasons <- readRDS(file.path(pw_dir, "{reasons}"))
pw_label <- function(x, reason, label, values, missing, letters) {{
  x <- as.double(x)
  if (!is.null(reason)) {{
    for (i in seq_along(missing)) {{
      x[!is.na(reason) & reason == missing[[i]]] <- tagged_na(letters[[i]])
    }}
  }}
  tags <- if (length(letters)) setNames(tagged_na(letters), names(missing)) else c()
  labelled(x, labels = c(values, tags), label = label)
}}
"""


def write_rds(
    dataset: Dataset, directory: Path, *, basename: str, progress: Progress | None = None
) -> WrittenFiles:
    frame = assemble(dataset, progress)
    reasons: dict[str, pd.Series] = {}
    for variable in dataset.variables:
        if variable.kind != "numeric":
            continue
        values = frame[variable.name].to_numpy(dtype=np.float64)
        missing = is_missing(variable, values)
        if variable.missing_codes and missing.any():
            codes = np.where(missing & ~np.isnan(values), values, np.nan)
            reasons[variable.name] = pd.Series(pd.array(codes, dtype="Float64")).astype("Int32")
        frame[variable.name] = r_column(variable, np.where(missing, np.nan, values))
    data = directory / f"{basename}.{EXTENSION}"
    companion = directory / f"{basename}_missing.{EXTENSION}"
    script = directory / f"{basename}.R"
    _write_gzipped(data, frame)
    _write_gzipped(companion, pd.DataFrame(reasons, index=frame.index))
    script.write_text(r_script(dataset, data.name, companion.name), encoding="utf-8")
    return WrittenFiles(
        paths=[data, companion, script], rows=len(frame), notes=[dataset.translate(NOTE)]
    )


def _write_gzipped(path: Path, frame: pd.DataFrame) -> None:
    """An .rds compressed as saveRDS does (gzip), at the fastest level (level 9 took most
    of the export's time; readRDS reads any level), written from the columns by
    rds_file.py: the stream pyreadr wrote, without its pass over every cell."""
    with gzip.open(path, "wb", compresslevel=GZIP_LEVEL) as out:
        write_data_frame(out, frame)


def r_column(variable: Variable, values: np.ndarray) -> pd.Series:
    if variable.type == "boolean":
        flags = [None if np.isnan(v) else bool(v == 1) for v in values]
        return pd.Series(flags, dtype="boolean")
    whole = np.isnan(values) | (values == np.round(values))
    if variable.type == "integer" and whole.all():
        # R integers are 32-bit: pandas Int32 with NA (rds_file.py).
        return pd.Series(pd.array(values, dtype="Float64")).astype("Int32")
    return pd.Series(values)


def r_string(text: str) -> str:
    """An R string literal: ASCII only (non-ASCII as \\u escapes), so any locale reads it."""
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 32 or ord(char) > 126:
            out.append(f"\\u{{{ord(char):04x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _vector(items: dict[str, str]) -> str:
    if not items:
        return "c()"
    return "c(" + ", ".join(f"{r_string(name)} = {value}" for name, value in items.items()) + ")"


def r_script(dataset: Dataset, data_name: str, reasons_name: str) -> str:
    letters = missing_letters(dataset.variables)
    comment = dataset.translate(SCRIPT_COMMENT).format(title=dataset.title or "Panelwave")
    # A line break in the title must not end the comment.
    commented = "\n".join(f"# {line}" for line in comment.replace("\r", " ").split("\n"))
    lines = [SCRIPT_HEAD.format(comment=commented, data=data_name, reasons=reasons_name)]
    for v in dataset.variables:
        column = f"data[[{r_string(v.name)}]]"
        label = r_string(v.label)
        if v.type == "date":
            lines.append(f"{column} <- structure(as.Date({column}), label = {label})")
        elif v.type == "boolean":
            lines.append(
                f"{column} <- structure({column}, label = {label}, "
                f"na_reason = reasons[[{r_string(v.name)}]])"
            )
        elif v.kind == "numeric" and (v.value_labels or v.missing_codes):
            values = _vector({lab: f"{code}" for code, lab in _unique(v.value_labels).items()})
            missing = _vector({lab: f"{code}" for code, lab in _unique(v.missing_codes).items()})
            tags = "c(" + ", ".join(r_string(letters[c]) for c in v.missing_codes) + ")"
            lines.append(
                f"{column} <- pw_label({column}, reasons[[{r_string(v.name)}]], {label}, "
                f"{values}, {missing}, {tags})"
            )
        else:
            lines.append(f'attr({column}, "label") <- {label}')
    return "\n".join(lines) + "\n"


def _unique(labels: Mapping[int, str]) -> dict[int, str]:
    """Labels made unique (R's named vectors need distinct names): a repeated label gets
    its code appended."""
    pairs = list(labels.items())
    seen: dict[str, int] = {}
    for _, label in pairs:
        seen[label] = seen.get(label, 0) + 1
    return {code: label if seen[label] == 1 else f"{label} [{code}]" for code, label in pairs}
