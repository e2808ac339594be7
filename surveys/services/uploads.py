"""A questionnaire file sent through the web (the API or the workspace): which files are
taken, and the upload written to disk under its own name for the importer to read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings

from surveys.choicefiles import (
    CHOICE_FILE_SUFFIXES,
    ERROR_MEDIA_SIZE,
    MAX_MEDIA_BYTES,
    is_choice_file,
)
from surveys.formimports import temporary_form_file

UPLOAD_SUFFIXES = (".xlsx", ".xls", ".csv", ".json")

ERROR_UPLOAD_SUFFIX = "{name!r} is not a form file (use .xlsx, .xls, .csv or .json)"
ERROR_UPLOAD_SIZE = "{name!r} is larger than {limit} bytes"
ERROR_MEDIA_SUFFIX = "{name!r} is not a choice list file (use .csv or .xml)"
ERROR_MEDIA_COUNT = "at most {limit} choice list files can be given with a form"
# More external lists than any real form has; each file is bounded by MAX_MEDIA_BYTES.
MAX_MEDIA_FILES = 20
MEDIA_SUFFIXES = CHOICE_FILE_SUFFIXES


def upload_problem(name: str, size: int) -> str | None:
    """Why a file of this name and size is refused before it is read, or None."""
    name = PurePath(name).name
    if PurePath(name).suffix.lower() not in UPLOAD_SUFFIXES:
        return ERROR_UPLOAD_SUFFIX.format(name=name)
    # FORM_MAX_FILE_BYTES: 10 MB by default, room for an XLSForm with embedded styles.
    limit = int(settings.FORM_MAX_FILE_BYTES)
    if size > limit:
        return ERROR_UPLOAD_SIZE.format(name=name, limit=limit)
    return None


def media_problem(name: str, size: int) -> str | None:
    """Why a choice list file given beside a form is refused before it is read, or None."""
    name = PurePath(name).name
    if not is_choice_file(name):
        return ERROR_MEDIA_SUFFIX.format(name=name)
    if size > MAX_MEDIA_BYTES:
        return ERROR_MEDIA_SIZE.format(name=name, limit=MAX_MEDIA_BYTES)
    return None


def saved_media(directory: Path, uploads: Iterable[Any]) -> Path:
    """Choice list files written under `directory`/media by their own names (the names the
    form's select_*_from_file items give); returns that directory."""
    media = directory / "media"
    media.mkdir()
    for upload in uploads:
        name = PurePath(upload.name or "").name
        if not name or name.startswith("."):
            continue
        with (media / name).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    return media


@contextmanager
def saved_upload(name: str, chunks: Iterable[bytes]) -> Iterator[Path]:
    """The upload as a file under a fresh temporary directory, named like the upload (the
    suffix picks the reader; the name appears in error messages and names the
    questionnaire when the form has no form_id)."""
    written = PurePath(name or "form").name
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", PurePath(written).stem)[:80] or "form"
    # Under PANELWAVE_TMP_DIR, removed on exit; the hourly sweep covers a killed process.
    with temporary_form_file(f"{stem}{PurePath(written).suffix.lower()}", chunks) as path:
        yield path
