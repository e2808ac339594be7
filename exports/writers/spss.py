"""SPSS .sav through pyreadstat: variable labels, value labels, user-defined missing values.

Limits measured with pyreadstat 1.3.7 (docs/methods.md 7.1): names at most 64 bytes (longer is an
error, so it fails loudly here first), variable labels 256 bytes and value labels 120 bytes
(longer are cut silently by ReadStat, so they are shortened here, visibly, and recorded).
The negative internal missing codes are declared missing with the range -9..-1 (SPSS allows
one range per variable), so SPSS leaves them out of statistics and still shows why.

pyreadstat writes a file whole: the dataset is assembled into compact columns first (see
base.assemble for the memory cost).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyreadstat
from pyreadstat.pyclasses import MissingRange

from exports.dataset import Dataset, Variable
from exports.writers.base import (
    ERROR_BAD_NAME,
    Progress,
    Shortener,
    WriterError,
    WrittenFiles,
    assemble,
    labelled_codes,
    shorten_bytes,
)
from exports.writers.readstat import refusals_as_writer_errors

ERROR_READSTAT = "SPSS refused the file: {error}"
EXTENSION = "sav"
FORMAT = "SPSS .sav"
MAX_NAME_BYTES = 64
MAX_VARIABLE_LABEL_BYTES = 256
MAX_VALUE_LABEL_BYTES = 120
MAX_FILE_LABEL_BYTES = 64
MISSING_RANGE = MissingRange(lo=-9, hi=-1)


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
    missing: dict[str, list[int | float | str | MissingRange]] = {
        v.name: [MISSING_RANGE]
        for v in dataset.variables
        if v.kind == "numeric" and v.missing_codes
    }
    measures: dict[str, str] = {v.name: v.measure for v in dataset.variables if v.kind == "numeric"}
    file_label = shortener.fit(
        dataset.title,
        shorten_bytes(dataset.title, MAX_FILE_LABEL_BYTES),
        variable="",
        kind="file_label",
    )
    frame = assemble(dataset, progress)
    path = directory / f"{basename}.{EXTENSION}"
    with refusals_as_writer_errors(ERROR_READSTAT):
        pyreadstat.write_sav(
            frame,
            str(path),
            file_label=file_label,
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_measure=measures,
            # Bytecode row compression: a classic .sav every reader opens, several times smaller.
            row_compress=True,
        )
    return WrittenFiles(
        paths=[path],
        shortenings=shortener.made,
        rows=len(frame),
        notes=["SPSS: missing codes -9..-1 are user-defined missing values (range -9 to -1)."],
    )


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
