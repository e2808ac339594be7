"""import_responses: load a CSV of responses collected elsewhere into a wave (docs/design.md,
"Import format for responses"). The file's rules and the row-by-row path live in imports.py;
on PostgreSQL the checked rows go through import_copy.py's column-wise checks and COPY."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

from django.db import connection
from django.utils import translation

from respondents.models import Wave, WaveState
from respondents.services import imports as rules
from respondents.services.imports import ImportFileError, ImportResult

__all__ = ["ImportFileError", "ImportResult", "import_responses", "import_responses_from"]


def import_responses(wave: Wave, path: Path) -> ImportResult:
    """Import the CSV file at `path` into the wave; see the module docstring."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return import_responses_from(wave, handle, file_name=str(path))
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            rules.ERROR_FILE_ENCODING.format(file=path, problem=exc.reason)
        ) from None
    except OSError as exc:
        raise ImportFileError(f"{path}: {exc.strerror}") from None


def import_responses_from(wave: Wave, handle: TextIO, *, file_name: str) -> ImportResult:
    if wave.state == WaveState.ARCHIVED:
        raise ImportFileError(rules.ERROR_WAVE_ARCHIVED.format(wave=wave.pk))
    reader = csv.reader(handle)
    try:
        layout = rules.read_header(wave, next(reader, None), file_name)
        tally = rules.Tally()
        # English reasons: they go to a researcher's terminal or JSON, not a respondent.
        with translation.override(rules.MESSAGE_LANGUAGE):
            if connection.vendor == "postgresql":
                # Heavy (numpy, pyarrow): loaded only when a file is imported.
                from respondents.services.import_copy import import_chunks  # noqa: PLC0415

                import_chunks(wave, layout, reader, tally)
            else:
                for batch in rules.batches(reader, rules.BATCH_SIZE):
                    rules.import_batch(wave, layout, batch, tally)
    except csv.Error as exc:
        raise ImportFileError(rules.ERROR_FILE_CSV.format(file=file_name, problem=exc)) from None
    errors = tuple(sorted(tally.errors, key=lambda error: error.row))
    return ImportResult(
        wave_id=wave.pk,
        imported=tally.imported,
        rejected=len(errors),
        errors=errors,
        members_created=tally.members_created,
        notes=tuple(sorted(tally.notes)),
    )
