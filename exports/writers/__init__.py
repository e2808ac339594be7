"""File writers, one per export format, behind one registry.

Each writer takes a Dataset and a target directory and returns the paths it wrote plus the
label shortenings it made (exports.writers.base.WrittenFiles). Django-free (import-linter).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol, cast

from exports.dataset import Dataset
from exports.writers.base import Progress, Shortening, WriterError, WrittenFiles

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


# Format -> its writer, named as "module:function" until first asked for: a writer's module
# and the library it needs (pyreadstat and narwhals: most of a second of a
# process's start) load only for the format being written.
WRITERS: dict[str, Writer | str] = {
    "csv": "exports.writers.csv:write_csv",
    "sav": "exports.writers.spss:write_sav",
    "dta": "exports.writers.stata:write_dta",
    "parquet": "exports.writers.parquet:write_parquet",
    "rds": "exports.writers.rds:write_rds",
}


def get_writer(format_name: str) -> Writer:
    try:
        writer = WRITERS[format_name]
    except KeyError:
        raise WriterError(
            ERROR_UNKNOWN_FORMAT.format(choices=", ".join(WRITERS), format=format_name)
        ) from None
    if isinstance(writer, str):
        module, function = writer.split(":")
        writer = cast("Writer", getattr(importlib.import_module(module), function))
        WRITERS[format_name] = writer
    return writer


__all__ = [
    "WRITERS",
    "Progress",
    "Shortening",
    "Writer",
    "WriterError",
    "WrittenFiles",
    "get_writer",
]
