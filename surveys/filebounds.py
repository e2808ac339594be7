"""Bounds on a form file, checked before any parser reads it.

An .xlsx file is a zip archive: a 1 MB upload can unpack to a gigabyte (one shared string
repeated), or hold a million rows that compress to almost nothing, and the readers under
the XLSForm importer (openpyxl, xlrd) would build all of it in memory. So the file's size,
then the zip directory (member count, their total unpacked size, each member's compression
ratio) are checked first, from the directory alone; then each worksheet is unpacked as a
stream and its row and cell tags counted, stopping at the first row or column past the
limits. Only a
file inside every bound reaches openpyxl. CSV files are counted the same way; .xls files
(not compressed) are bounded by their size and their sheets' dimensions.

Plain Python: the limits come in as a FileLimits, from settings in the service.
"""

from __future__ import annotations

import csv
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ERROR_FILE_TOO_LARGE = "the file is {size} bytes; at most {limit} are accepted"
ERROR_NOT_ZIP = "cannot be read as an XLSForm (not a zip archive: {problem})"
ERROR_TOO_MANY_MEMBERS = "the .xlsx archive holds {count} parts; at most {limit} are accepted"
ERROR_UNPACKED_TOO_LARGE = (
    "the .xlsx archive unpacks to {size} bytes; at most {limit} are accepted (a zip bomb?)"
)
ERROR_RATIO = (
    "the .xlsx part {member} compresses {ratio:.0f} to 1; at most {limit} to 1 is accepted "
    "(a zip bomb?)"
)
ERROR_TOO_MANY_ROWS = "sheet {sheet} reaches row {row}; at most {limit} rows are accepted"
ERROR_TOO_MANY_CELLS = (
    "the sheets span more than {limit} cells (rows times columns); split the form"
)
ERROR_TOO_MANY_COLUMNS = "sheet {sheet} reaches column {column}; at most {limit} are accepted"
ERROR_BAD_XML = "sheet {sheet} cannot be read: {problem}"
ERROR_DTD = "sheet {sheet} declares a DTD, which no spreadsheet needs"
ERROR_XLS = "cannot be read as an XLSForm ({problem})"

# Ratios are judged only on parts big enough to matter: a few kilobytes of repeated
# markup legitimately compress very well.
RATIO_FLOOR_BYTES = 1_000_000
READ_CHUNK = 64 * 1024
WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


@dataclass(frozen=True)
class FileLimits:
    file_bytes: int
    unpacked_bytes: int
    members: int
    ratio: int
    rows: int
    columns: int
    cells: int


@dataclass(frozen=True)
class FormFileShape:
    """What the checks saw: the largest sheet's rows and the cells of all sheets."""

    rows: int
    cells: int


class FileBoundsError(ValueError):
    """The file is refused before parsing; the message says which bound it passed."""


def check_form_file(path: Path, limits: FileLimits) -> FormFileShape:
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise FileBoundsError(ERROR_FILE_TOO_LARGE.format(size=size, limit=limits.file_bytes))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _check_xlsx(path, limits)
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as text:
            return _check_csv(text, limits)
    if suffix == ".xls":
        return _check_xls(path, limits)
    return FormFileShape(rows=0, cells=0)


def _check_xlsx(path: Path, limits: FileLimits) -> FormFileShape:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileBoundsError(ERROR_NOT_ZIP.format(problem=exc)) from exc
    with archive:
        members = archive.infolist()
        _check_directory(members, limits)
        rows = cells = 0
        for member in members:
            if WORKSHEET.match(member.filename):
                with archive.open(member) as stream:
                    sheet_rows, sheet_columns = _count_sheet(stream, member.filename, limits)
                rows = max(rows, sheet_rows)
                cells += sheet_rows * sheet_columns
                if cells > limits.cells:
                    raise FileBoundsError(ERROR_TOO_MANY_CELLS.format(limit=limits.cells))
    return FormFileShape(rows=rows, cells=cells)


def _check_directory(members: list[zipfile.ZipInfo], limits: FileLimits) -> None:
    if len(members) > limits.members:
        raise FileBoundsError(
            ERROR_TOO_MANY_MEMBERS.format(count=len(members), limit=limits.members)
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.unpacked_bytes:
        raise FileBoundsError(
            ERROR_UNPACKED_TOO_LARGE.format(size=unpacked, limit=limits.unpacked_bytes)
        )
    for member in members:
        if member.file_size < RATIO_FLOOR_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.ratio:
            raise FileBoundsError(
                ERROR_RATIO.format(member=member.filename, ratio=ratio, limit=limits.ratio)
            )


# Sheet markup is scanned with regular expressions over the raw bytes rather than an XML
# parser: an element callback per cell costs seconds on a row bomb, a scan for a literal
# tag a tenth of that. Counting is all that is needed here; openpyxl parses the file once
# it is known to be small. Tags carry the root element's namespace prefix, if any (Excel
# writes none; some libraries write `x:`); a sheet mixing prefixes is scanned with a slower
# pattern that accepts any.
ROOT = re.compile(rb"<([\w.-]+:)?worksheet[\s>]")
ANY_PREFIX = rb"(?:[\w.-]+:)?"
DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
# A tag, or the markup before the root element, longer than this is not a spreadsheet's.
MAX_CARRY = 1_000_000


@dataclass(frozen=True)
class _Patterns:
    row: re.Pattern[bytes]
    row_number: re.Pattern[bytes]
    cell_column: re.Pattern[bytes]

    @classmethod
    def for_prefix(cls, prefix: bytes) -> _Patterns:
        return cls(
            row=re.compile(rb"<" + prefix + rb"row[\s>/]"),
            row_number=re.compile(rb"<" + prefix + rb"row\s[^>]*?\br=\"(\d{1,10})\""),
            cell_column=re.compile(rb"<" + prefix + rb"c\s[^>]*?\br=\"([A-Za-z]{1,8})\d"),
        )


ANY_PATTERNS = _Patterns.for_prefix(ANY_PREFIX)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - ord("A") + 1)
    return number


class _SheetScan:
    """Rows and columns as a reader would fill them: row and column numbers come from the
    `r` attributes, since one cell at row 1,048,576 makes a million rows."""

    def __init__(self, sheet: str, limits: FileLimits) -> None:
        self.sheet, self.limits = sheet, limits
        self.rows = self.tagged_rows = self.columns = 0
        self.patterns: _Patterns | None = None

    def _choose_patterns(self, markup: bytes) -> bool:
        root = ROOT.search(markup)
        if root is None:
            return False
        self.patterns = _Patterns.for_prefix(re.escape(root.group(1) or b""))
        return True

    def scan(self, markup: bytes) -> None:
        if DOCTYPE.search(markup):
            raise FileBoundsError(ERROR_DTD.format(sheet=self.sheet))
        if self.patterns is None and not self._choose_patterns(markup):
            return
        assert self.patterns is not None  # noqa: S101 (set just above)
        patterns = self.patterns
        mixed = markup.count(b":row") + markup.count(b":c ") > 0
        if mixed and patterns is not ANY_PATTERNS:
            patterns = ANY_PATTERNS
        self.tagged_rows += len(patterns.row.findall(markup))
        numbers = patterns.row_number.findall(markup)
        self.rows = max(self.rows, self.tagged_rows, max(map(int, numbers), default=0))
        if self.rows > self.limits.rows:
            raise FileBoundsError(
                ERROR_TOO_MANY_ROWS.format(sheet=self.sheet, row=self.rows, limit=self.limits.rows)
            )
        letters = set(patterns.cell_column.findall(markup))
        self.columns = max(self.columns, max(map(_column_number, letters), default=0))
        if self.columns > self.limits.columns:
            raise FileBoundsError(
                ERROR_TOO_MANY_COLUMNS.format(
                    sheet=self.sheet, column=self.columns, limit=self.limits.columns
                )
            )


def _count_sheet(stream: IO[bytes], sheet: str, limits: FileLimits) -> tuple[int, int]:
    scan = _SheetScan(sheet, limits)
    carry = b""
    try:
        while chunk := stream.read(READ_CHUNK):
            buffer = carry + chunk
            # Scan up to the last tag start; the rest waits for the next chunk (all of it
            # until the root element has been seen).
            cut = buffer.rfind(b"<")
            if cut <= 0 or (scan.patterns is None and ROOT.search(buffer) is None):
                carry = buffer
            else:
                scan.scan(buffer[:cut])
                carry = buffer[cut:]
            if len(carry) > MAX_CARRY:
                raise FileBoundsError(
                    ERROR_BAD_XML.format(sheet=sheet, problem="no worksheet markup")
                )
        scan.scan(carry)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        # A part that does not unpack as its directory entry says (a forged CRC or size).
        raise FileBoundsError(ERROR_BAD_XML.format(sheet=sheet, problem=exc)) from exc
    return scan.rows, max(scan.columns, 1 if scan.rows else 0)


def _check_csv(text: IO[str], limits: FileLimits) -> FormFileShape:
    rows = columns = 0
    # The file is already bounded by size; csv's own field limit bounds one cell.
    for row in csv.reader(text):
        rows += 1
        columns = max(columns, len(row))
        if rows > limits.rows:
            raise FileBoundsError(
                ERROR_TOO_MANY_ROWS.format(sheet="csv", row=rows, limit=limits.rows)
            )
        if columns > limits.columns:
            raise FileBoundsError(
                ERROR_TOO_MANY_COLUMNS.format(sheet="csv", column=columns, limit=limits.columns)
            )
    if rows * columns > limits.cells:
        raise FileBoundsError(ERROR_TOO_MANY_CELLS.format(limit=limits.cells))
    return FormFileShape(rows=rows, cells=rows * columns)


def _check_xls(path: Path, limits: FileLimits) -> FormFileShape:
    import xlrd  # noqa: PLC0415 (only .xls files need it)

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd raises many types for one meaning: unreadable
        raise FileBoundsError(
            ERROR_XLS.format(problem=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        ) from exc
    try:
        rows = cells = 0
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.nrows > limits.rows:
                raise FileBoundsError(
                    ERROR_TOO_MANY_ROWS.format(sheet=sheet.name, row=sheet.nrows, limit=limits.rows)
                )
            if sheet.ncols > limits.columns:
                raise FileBoundsError(
                    ERROR_TOO_MANY_COLUMNS.format(
                        sheet=sheet.name, column=sheet.ncols, limit=limits.columns
                    )
                )
            rows = max(rows, sheet.nrows)
            cells += sheet.nrows * sheet.ncols
            book.unload_sheet(index)
        if cells > limits.cells:
            raise FileBoundsError(ERROR_TOO_MANY_CELLS.format(limit=limits.cells))
    finally:
        book.release_resources()
    return FormFileShape(rows=rows, cells=cells)
