"""SPSS .sav through pyreadstat: variable labels, value labels, user-defined missing values.

Limits measured with pyreadstat 1.3.7 (docs/methods.md 7.1): names at most 64 bytes (longer is an
error, so it fails loudly here first), variable labels 256 bytes and value labels 120 bytes
(longer are cut silently by ReadStat, so they are shortened here, visibly, and recorded).
The missing-value policy: every missing code of a variable (the internal negative codes,
and an item's own "don't know" or refusal choices) is a user-defined missing value: the
negative ones as one range from the lowest to -1, a positive one (ESS 77) as the one
discrete value SPSS allows beside a range. So SPSS leaves them out of statistics and still
shows why. Formats: integer codes and counts F<w>.0 at the width of their widest value,
0/1 flags F1.0, decimals F<w>.2, dates DATE11.

Written whole: the dataset is assembled into compact columns first (see base.assemble for
the memory cost). ReadStat (through pyreadstat) writes the dictionary for one probe row
holding each column's widest value, and exports/writers/sav_cases.py writes the real cases
from the columns (pyreadstat would pass every cell through Python).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
from pyreadstat.pyclasses import MissingRange

from exports.dataset import Dataset, Variable, gettext_noop
from exports.writers.base import (
    ERROR_BAD_NAME,
    Progress,
    Shortener,
    WriterError,
    WrittenFiles,
    assemble,
    days_since_1970,
    integer_width,
    labelled_codes,
    shorten_bytes,
    widest_utf8,
)
from exports.writers.readstat import refusals_as_writer_errors
from exports.writers.sav_cases import CaseColumn, SavLayoutError, replace_cases, spss_dates

ERROR_READSTAT = "SPSS refused the file: {error}"
EXTENSION = "sav"
FORMAT = "SPSS .sav"
MAX_NAME_BYTES = 64
MAX_VARIABLE_LABEL_BYTES = 256
MAX_VALUE_LABEL_BYTES = 120
MAX_FILE_LABEL_BYTES = 64
MAX_DISCRETE = 3
# Any date: the probe row only tells ReadStat the column holds dates.
PROBE_DATE = date(2000, 1, 1)
NOTE = gettext_noop(
    "SPSS: every missing code is a user-defined missing value (negative codes as a range "
    "up to -1, a positive code as a discrete value)."
)
NOTE_UNDECLARED = gettext_noop(
    "SPSS: {name}'s missing codes {codes} could not be declared as missing too."
)


def write_sav(
    dataset: Dataset, directory: Path, *, basename: str, progress: Progress | None = None
) -> WrittenFiles:
    shortener = Shortener("sav")
    for variable in dataset.variables:
        _check_name(variable.name)
    labels: dict[str, str | None] = {
        v.name: _variable_label(v, shortener) for v in dataset.variables
    }
    value_labels = {
        v.name: _value_labels(v, shortener)
        for v in dataset.variables
        if v.kind == "numeric" and labelled_codes(v)
    }
    missing: dict[str, list[int | float | str | MissingRange]] = {}
    notes = [dataset.translate(NOTE)]
    for v in dataset.variables:
        if v.kind == "numeric" and v.missing_codes:
            missing[v.name], dropped = missing_declaration(v)
            if dropped:
                notes.append(dataset.translate(NOTE_UNDECLARED).format(name=v.name, codes=dropped))
    measures: dict[str, str] = {v.name: v.measure for v in dataset.variables if v.kind == "numeric"}
    file_label = shortener.fit(
        dataset.title,
        shorten_bytes(dataset.title, MAX_FILE_LABEL_BYTES),
        variable="",
        kind="file_label",
    )
    frame = assemble(dataset, progress)
    formats = {}
    columns: list[CaseColumn] = []
    probe: dict[str, pd.Series] = {}
    for v in dataset.variables:
        values = frame[v.name].to_numpy()
        if v.type == "date":
            days = days_since_1970(values)
            columns.append(CaseColumn("numeric", spss_dates(days)))
            probe[v.name] = pd.Series([PROBE_DATE], dtype=object)
            formats[v.name] = "DATE11"
        elif v.kind == "numeric":
            # Compact as assembled (int8 for most items): made float64 a block at a time.
            columns.append(CaseColumn("numeric", values))
            probe[v.name] = pd.Series(np.zeros(1, dtype=values.dtype))
            formats[v.name] = spss_format(v, values)
        else:
            width = max(1, widest_utf8(values))
            columns.append(CaseColumn("string", values, width))
            # ReadStat declares a string as wide as its widest value: the probe's.
            probe[v.name] = pd.Series(["x" * width], dtype=object)
    path = directory / f"{basename}.{EXTENSION}"
    try:
        with refusals_as_writer_errors(ERROR_READSTAT):
            pyreadstat.write_sav(
                pd.DataFrame(probe),
                str(path),
                file_label=file_label,
                column_labels=labels,
                variable_value_labels=value_labels,
                missing_ranges=missing,
                variable_measure=measures,
                variable_format=formats,
                # Bytecode row compression: a classic .sav every reader opens, several
                # times smaller (sav_cases writes the cases so).
                row_compress=True,
            )
        replace_cases(path, columns, len(frame))
    except (WriterError, SavLayoutError) as exc:
        path.unlink(missing_ok=True)
        raise WriterError(ERROR_READSTAT.format(error=exc)) from exc
    return WrittenFiles(
        paths=[path],
        shortenings=shortener.made,
        rows=len(frame),
        notes=notes,
    )


def missing_declaration(
    variable: Variable,
) -> tuple[list[int | float | str | MissingRange], list[int]]:
    """SPSS's user-missing declaration of a variable's missing codes, and the codes it
    cannot declare (SPSS allows one range plus one discrete value)."""
    negative = sorted(c for c in variable.missing_codes if c < 0)
    positive = sorted(c for c in variable.missing_codes if c >= 0)
    declared: list[int | float | str | MissingRange] = []
    if negative:
        declared.append(MissingRange(lo=negative[0], hi=-1))
        declared.extend(positive[:1])
        return declared, positive[1:]
    if len(positive) <= MAX_DISCRETE:
        return list(positive), []
    return [MissingRange(lo=positive[0], hi=positive[-1])], []


def spss_format(variable: Variable, values: np.ndarray) -> str:
    if variable.type == "boolean":
        return f"F{integer_width(values, variable.missing_codes)}.0"
    if variable.type == "integer":
        codes = [*variable.value_labels, *variable.missing_codes]
        return f"F{integer_width(values, codes)}.0"
    return f"F{integer_width(values) + 3}.2"


def _check_name(name: str) -> None:
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise WriterError(
            ERROR_BAD_NAME.format(name=name, format=FORMAT, reason="longer than 64 bytes")
        )


def _variable_label(variable: Variable, shortener: Shortener) -> str:
    return shortener.fit(
        variable.label,
        shorten_bytes(variable.label, MAX_VARIABLE_LABEL_BYTES),
        variable=variable.name,
        kind="variable_label",
    )


def _value_labels(variable: Variable, shortener: Shortener) -> dict[Any, str]:
    return {
        code: shortener.fit(
            label,
            shorten_bytes(label, MAX_VALUE_LABEL_BYTES),
            variable=variable.name,
            kind="value_label",
            code=code,
        )
        for code, label in labelled_codes(variable).items()
    }
