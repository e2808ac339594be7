"""Stata .dta format 118 (Stata 14 and later): UTF-8, so Cyrillic survives (format 117,
Stata 13, writes mojibake, docs/methods.md 7.1). The file itself is written from columns
by exports/writers/dta_file.py.

Stata's limits, shortened visibly and recorded for the codebook, never cut silently:
- names at most 32 characters, and not a Stata reserved word; each value-label set is named
  `<variable><n>` (n counting labelled variables from 0, as pyreadstat named them before),
  which must fit the same 32, so a labelled variable's name leaves room for n's digits. A
  name too long becomes its head plus `_<k>` (the ASCII names cannot hold an ellipsis); a
  reserved word gets `_`;
- variable labels at most 80 characters, file label 80: cut to 79 plus an ellipsis;
- value labels hold 32,000 bytes, far beyond any answer label, yet checked.
The missing-value policy: every missing code becomes an extended missing value with its
label, so Stata keeps them out of statistics and still says why: the internal codes -1..-6
are .a-.f (-1 -> .a, -2 -> .b, ...), an item's own missing choices (ESS 77, 88, 99) the
next letters, the same letters in every variable of the export. Dates are %td dates.
Codes, counts and flags are stored in the smallest integer type that holds them (byte for
most items), decimals as doubles, text at the width of its longest value.

Written whole: see base.assemble for the memory cost; the records are encoded from those
columns a block of rows at a time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from exports.dataset import Dataset, Variable, gettext_noop
from exports.writers import dta_file
from exports.writers.base import (
    Progress,
    Shortener,
    WriterError,
    WrittenFiles,
    assemble,
    days_since_1970,
    missing_letters,
    shorten_bytes,
    shorten_chars,
)

ERROR_REFUSED = "Stata refused the file: {error}"
EXTENSION = "dta"
MAX_NAME = 32
MAX_VARIABLE_LABEL = 80
MAX_FILE_LABEL = 80
MAX_VALUE_LABEL_BYTES = 32_000
# 1 January 1970 in Stata dates (days since 1 January 1960).
STATA_DAYS_FROM_1960 = 3653
# Stata refuses these as names.
RESERVED = frozenset(
    {
        "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int",
        "long", "_n", "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with",
    }
)  # fmt: skip
RESERVED_PATTERN = re.compile(r"str[0-9]+")
NOTE = gettext_noop("Stata: missing codes are extended missing values with labels: {codes}.")


def write_dta(
    dataset: Dataset, directory: Path, *, basename: str, progress: Progress | None = None
) -> WrittenFiles:
    shortener = Shortener("dta")
    names = stata_names(dataset.variables, shortener)
    frame = assemble(dataset, progress)
    all_letters = missing_letters(dataset.variables)
    columns: list[dta_file.DtaColumn] = []
    label_sets: list[dta_file.LabelSet] = []
    for variable in dataset.variables:
        name = names[variable.name]
        label = shortener.fit(
            variable.label,
            shorten_chars(variable.label, MAX_VARIABLE_LABEL),
            variable=variable.name,
            kind="variable_label",
        )
        values = frame[variable.name].to_numpy()
        if variable.type == "date":
            columns.append(dta_file.DtaColumn(name, label, "date", stata_days(values)))
            continue
        if variable.kind != "numeric":
            columns.append(dta_file.DtaColumn(name, label, "string", values))
            continue
        letters = {c: all_letters[c] for c in variable.missing_codes}
        label_set = ""
        if has_label_set(variable):
            # Named as pyreadstat named them (stata_names leaves room for the counter).
            label_set = f"{name}{len(label_sets)}"
            label_sets.append(_label_set(label_set, variable, letters, shortener))
        whole = variable.type in ("integer", "boolean")
        columns.append(
            dta_file.DtaColumn(name, label, "numeric", values, letters, label_set, whole=whole)
        )
    file_label = shortener.fit(
        dataset.title,
        shorten_chars(dataset.title, MAX_FILE_LABEL),
        variable="",
        kind="file_label",
    )
    path = directory / f"{basename}.{EXTENSION}"
    try:
        dta_file.write(
            path,
            columns,
            label_sets,
            rows=len(frame),
            file_label=file_label,
            timestamp=datetime.now(UTC),
        )
    except dta_file.DtaError as exc:
        path.unlink(missing_ok=True)
        raise WriterError(ERROR_REFUSED.format(error=exc)) from exc
    return WrittenFiles(
        paths=[path],
        shortenings=shortener.made,
        rows=len(frame),
        notes=[
            dataset.translate(NOTE).format(
                codes=", ".join(f"{code} .{letter}" for code, letter in sorted(all_letters.items()))
            )
        ],
    )


def stata_days(values: np.ndarray) -> np.ndarray:
    """ISO date texts as Stata dates (days since 1 January 1960), NaN where there is none."""
    return days_since_1970(values) + STATA_DAYS_FROM_1960


def stata_names(variables: list[Variable], shortener: Shortener) -> dict[str, str]:
    """Dataset name -> Stata name, unique, within 32 characters with the label-set suffix."""
    taken = {v.name for v in variables}
    result: dict[str, str] = {}
    labelled = 0
    for variable in variables:
        limit = MAX_NAME
        if has_label_set(variable):
            limit -= len(str(labelled))
            labelled += 1
        name = variable.name
        if name in RESERVED or RESERVED_PATTERN.fullmatch(name):
            name = _unique(name[: limit - 1] + "_", taken, limit)
        elif len(name) > limit:
            name = _unique(name, taken, limit)
        if name != variable.name:
            taken.add(name)
        result[variable.name] = shortener.fit(
            variable.name, name, variable=variable.name, kind="name"
        )
    return result


def has_label_set(variable: Variable) -> bool:
    """Whether the variable gets a value-label set (and so counts in the sets' names)."""
    if variable.kind != "numeric":
        return False
    return bool(variable.value_labels) or bool(variable.missing_codes)


def _unique(name: str, taken: set[str], limit: int) -> str:
    if len(name) <= limit and name not in taken:
        return name
    for k in range(1, 10_000):
        suffix = f"_{k}"
        candidate = name[: limit - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable: fewer than 10,000 variables share a 25-character head")


def _label_set(
    name: str, variable: Variable, letters: dict[int, str], shortener: Shortener
) -> dta_file.LabelSet:
    codes = {
        code: shortener.fit(
            label,
            shorten_bytes(label, MAX_VALUE_LABEL_BYTES),
            variable=variable.name,
            kind="value_label",
            code=code,
        )
        for code, label in variable.value_labels.items()
    }
    return dta_file.LabelSet(
        name, codes, {letter: variable.missing_codes[code] for code, letter in letters.items()}
    )
