"""Hostile .xlsx files, as the security probe sent them.

A zip bomb: an otherwise valid XLSForm whose shared-strings part unpacks to 1 GiB of one
letter (about 1 MB on disk). Deflate cannot be told to repeat a block, so the part's data
is built from one compressed mebibyte: compressed from a fresh state and ended with a full
flush, that block means the same wherever it stands, and 1,024 copies of it unpack to the
gibibyte. The archive is then written by hand (Python's zipfile only writes what it
compressed itself).

A row bomb: a survey sheet of a million rows, numbered as Excel numbers them.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

MIB = 1024 * 1024
FINAL_EMPTY_BLOCK = b"\x01\x00\x00\xff\xff"


def _deflate_block(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """members: (name, raw deflate data, crc32, unpacked size)."""
    out = io.BytesIO()
    directory = []
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0
            )
        )
        out.write(encoded + data)
        directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for entry in directory:
        out.write(entry)
    out.write(
        struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            len(directory),
            len(directory),
            out.tell() - start,
            start,
            0,
        )
    )
    path.write_bytes(out.getvalue())


def _plain(name: str, content: bytes) -> tuple[str, bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(content) + compressor.flush()
    return name, data, zlib.crc32(content), len(content)


def write_zip_bomb(valid_form: Path, out: Path, *, mebibytes: int = 1024) -> Path:
    """valid_form with its shared strings replaced by one string of `mebibytes` MiB."""
    members = _members_of(valid_form)
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
    tail = b"</t></si></sst>"
    chunk = b"A" * MIB
    block = _deflate_block(chunk)
    crc = zlib.crc32(head)
    for _ in range(mebibytes):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    data = _deflate_block(head) + block * mebibytes + _deflate_block(tail) + FINAL_EMPTY_BLOCK
    size = len(head) + mebibytes * MIB + len(tail)
    entries = [
        _plain(name, content) for name, content in members.items() if name != "xl/sharedStrings.xml"
    ]
    entries.append(("xl/sharedStrings.xml", data, crc, size))
    _write_zip(out, entries)
    return out


def write_row_bomb(valid_form: Path, out: Path, *, rows: int = 1_048_576) -> Path:
    """valid_form with its first sheet replaced by `rows` numbered rows of one cell."""
    members = _members_of(valid_form)
    sheet = next(name for name in sorted(members) if name.startswith("xl/worksheets/sheet"))
    body = io.BytesIO()
    body.write(
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    for number in range(1, rows + 1):
        body.write(
            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>note</t></is></c></row>'
            % (number, number)
        )
    body.write(b"</sheetData></worksheet>")
    entries = [_plain(name, content) for name, content in members.items() if name != sheet]
    entries.append(_plain(sheet, body.getvalue()))
    _write_zip(out, entries)
    return out
