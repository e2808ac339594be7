"""The files that hold the choices of `select_one_from_file` / `select_multiple_from_file`
items, read into rows like a choices sheet's.

Django-free. ODK takes two kinds, and so do we:

- CSV: a header row (`name`, `label` or `label::Language`, and any filter columns), then
  one choice a row; UTF-8, with or without a byte-order mark.
- XML: a root element holding one element per choice (ODK writes `<item>`), each holding
  one element per column: `<item><name>v1</name><label>Upper</label><region>n</region></item>`.
  Parsed with defusedxml, so entity tricks (billion laughs, external entities) are refused
  rather than expanded.
"""

from __future__ import annotations

import csv
from pathlib import Path, PurePath

CHOICE_FILE_SUFFIXES = (".csv", ".xml")
ERROR_MEDIA_SIZE = "choice list file {name!r} is larger than {limit} bytes"
# A list of every village of a country fits; a file that would fill memory does not.
MAX_MEDIA_BYTES = 10 * 1024 * 1024
ERROR_XML_SHAPE = "choice {number} holds text, not one element per column"


class ChoiceFileError(ValueError):
    """The file cannot be read as a list of choices; the message says why."""


def is_choice_file(name: str) -> bool:
    return PurePath(name).suffix.lower() in CHOICE_FILE_SUFFIXES


def read_choice_file(path: Path) -> list[dict[str, str]]:
    """The file's choices as rows of column -> text (the header's columns for CSV)."""
    if path.suffix.lower() == ".xml":
        return _xml_rows(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [
                {str(k): v or "" for k, v in row.items() if k is not None}
                for row in csv.DictReader(handle)
            ]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ChoiceFileError(str(exc)) from exc


def _xml_rows(path: Path) -> list[dict[str, str]]:
    # Imported here, where it is used: the upload checks import this module at start-up.
    # defusedxml ships no type hints (typeshed's stubs are not installed here).
    from defusedxml import DefusedXmlException  # type: ignore[import-untyped]  # noqa: PLC0415
    from defusedxml.ElementTree import ParseError, parse  # type: ignore[import-untyped]  # noqa: PLC0415

    try:
        root = parse(path, forbid_dtd=True).getroot()
    except (ParseError, DefusedXmlException) as exc:
        raise ChoiceFileError(str(exc) or type(exc).__name__) from exc
    rows = []
    for number, item in enumerate(root, start=1):
        if len(item) == 0 and (item.text or "").strip():
            raise ChoiceFileError(ERROR_XML_SHAPE.format(number=number))
        rows.append({column.tag: (column.text or "").strip() for column in item})
    return rows
