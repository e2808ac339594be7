"""Stata .dta version 15 through pyreadstat: UTF-8, so Cyrillic survives (version 13 writes
mojibake, docs/methods.md 7.1).

Stata's limits, shortened visibly and recorded for the codebook, never cut silently:
- names at most 32 characters, and not a Stata reserved word; pyreadstat also names each
  value-label set `<variable><n>` (n counting labelled variables from 0), which must fit the
  same 32, so a labelled variable's name leaves room for n's digits. A name too long becomes
  its head plus `_<k>` (the ASCII names cannot hold an ellipsis); a reserved word gets `_`;
- variable labels at most 80 characters, file label 80: cut to 79 plus an ellipsis;
- value labels hold 32,000 bytes in Stata 15, far beyond any answer label, yet checked.
The missing-value policy: every missing code becomes an extended missing value with its
label, so Stata keeps them out of statistics and still says why: the internal codes -1..-6
are .a-.f (-1 -> .a, -2 -> .b, ...), an item's own missing choices (ESS 77, 88, 99) the
next letters, the same letters in every variable of the export. Dates are %td dates.

Written whole: see base.assemble for the memory cost. Numeric columns that carry missing codes
become object columns here (codes as Python ints, the letters as shared one-character strings:
a pointer per cell, since small ints and the letters are interned).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat

from exports.dataset import Dataset, Variable, gettext_noop
from exports.writers.base import (
    Progress,
    Shortener,
    WrittenFiles,
    assemble,
    iso_dates,
    missing_letters,
    shorten_bytes,
    shorten_chars,
)
from exports.writers.readstat import refusals_as_writer_errors

ERROR_READSTAT = "Stata refused the file: {error}"
EXTENSION = "dta"
VERSION = 15
MAX_NAME = 32
MAX_VARIABLE_LABEL = 80
MAX_FILE_LABEL = 80
MAX_VALUE_LABEL_BYTES = 32_000
# ReadStat refuses these as names ("A provided name is a reserved word").
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
    labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[str]] = {}
    for variable in dataset.variables:
        name = names[variable.name]
        labels[name] = shortener.fit(
            variable.label,
            shorten_chars(variable.label, MAX_VARIABLE_LABEL),
            variable=variable.name,
            kind="variable_label",
        )
        if variable.type == "date":
            frame[variable.name] = pd.Series(iso_dates(frame[variable.name]), dtype=object)
        if variable.kind != "numeric":
            continue
        letters = {c: all_letters[c] for c in variable.missing_codes}
        if letters:
            frame[variable.name] = _with_letters(frame[variable.name], letters)
            missing[name] = sorted(letters.values())
        if variable.value_labels or letters:
            value_labels[name] = _value_labels(variable, letters, shortener)
    frame = frame.rename(columns=names)
    file_label = shortener.fit(
        dataset.title,
        shorten_chars(dataset.title, MAX_FILE_LABEL),
        variable="",
        kind="file_label",
    )
    path = directory / f"{basename}.{EXTENSION}"
    with refusals_as_writer_errors(ERROR_READSTAT):
        pyreadstat.write_dta(
            frame,
            str(path),
            file_label=file_label,
            column_labels=labels,
            version=VERSION,
            variable_value_labels=value_labels,
            missing_user_values=missing,
        )
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
    """Whether pyreadstat writes a value-label set (and counts it) for this variable."""
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


def _with_letters(column: pd.Series, letters: dict[int, str]) -> pd.Series:
    values = column.to_numpy()
    out = values.astype(object)
    if values.dtype.kind == "i":
        # Python ints, not numpy scalars: pyreadstat types an object column by its values.
        out = np.array(values.tolist(), dtype=object)
    for code, letter in letters.items():
        out[values == code] = letter
    return pd.Series(out, index=column.index, name=column.name, dtype=object)


def _value_labels(
    variable: Variable, letters: dict[int, str], shortener: Shortener
) -> dict[Any, str]:
    result: dict[Any, str] = {}
    for code, label in variable.value_labels.items():
        result[code] = shortener.fit(
            label,
            shorten_bytes(label, MAX_VALUE_LABEL_BYTES),
            variable=variable.name,
            kind="value_label",
            code=code,
        )
    for code, letter in letters.items():
        result[letter] = variable.missing_codes[code]
    return result
