"""File writers, one per export format, behind one registry.

Each writer takes a Dataset and a target directory and returns the paths it wrote plus the
label shortenings it made (exports.writers.base.WrittenFiles). Django-free (import-linter).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from exports.dataset import Dataset
from exports.writers.base import Progress, Shortening, WriterError, WrittenFiles
from exports.writers.csv import write_csv
from exports.writers.parquet import write_parquet
from exports.writers.rds import write_rds
from exports.writers.spss import write_sav
from exports.writers.stata import write_dta

ERROR_UNKNOWN_FORMAT = "format must be one of {choices} (got {format!r})"


class Writer(Protocol):
    def __call__(
        self,
        dataset: Dataset,
        directory: Path,
        *,
        basename: str,
        progress: Progress | None = None,
    ) -> WrittenFiles: ...


WRITERS: Mapping[str, Writer] = {
    "csv": write_csv,
    "sav": write_sav,
    "dta": write_dta,
    "parquet": write_parquet,
    "rds": write_rds,
}


def get_writer(format_name: str) -> Writer:
    try:
        return WRITERS[format_name]
    except KeyError:
        raise WriterError(
            ERROR_UNKNOWN_FORMAT.format(choices=", ".join(WRITERS), format=format_name)
        ) from None


__all__ = [
    "WRITERS",
    "Progress",
    "Shortening",
    "Writer",
    "WriterError",
    "WrittenFiles",
    "get_writer",
]
