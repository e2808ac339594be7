"""A questionnaire file sent through the web (the API or the workspace): which files are
taken, and the upload written to disk under its own name for the importer to read."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

UPLOAD_SUFFIXES = (".xlsx", ".xls", ".csv", ".json")
# A questionnaire of a few hundred items is well under 1 MB; 10 MB leaves room for an
# XLSForm with embedded styles and still keeps one upload from filling the disk.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

ERROR_UPLOAD_SUFFIX = "{name!r} is not a form file (use .xlsx, .xls, .csv or .json)"
ERROR_UPLOAD_SIZE = "{name!r} is larger than {limit} bytes"


def upload_problem(name: str, size: int) -> str | None:
    """Why a file of this name and size is refused before it is read, or None."""
    name = PurePath(name).name
    if PurePath(name).suffix.lower() not in UPLOAD_SUFFIXES:
        return ERROR_UPLOAD_SUFFIX.format(name=name)
    if size > MAX_UPLOAD_BYTES:
        return ERROR_UPLOAD_SIZE.format(name=name, limit=MAX_UPLOAD_BYTES)
    return None


@contextmanager
def saved_upload(name: str, chunks: Iterable[bytes]) -> Iterator[Path]:
    """The upload as a file under a fresh temporary directory, named like the upload (the
    suffix picks the reader; the name appears in error messages and names the
    questionnaire when the form has no form_id)."""
    written = PurePath(name or "form").name
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", PurePath(written).stem)[:80] or "form"
    with tempfile.TemporaryDirectory(prefix="panelwave-upload-") as directory:
        path = Path(directory) / f"{stem}{PurePath(written).suffix.lower()}"
        with path.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        yield path
