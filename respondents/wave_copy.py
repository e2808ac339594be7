"""A wave's responses as columns, read through PostgreSQL's COPY: what cleaning loads.

The ORM path (one Python tuple per response, timestamps made into datetimes, then taken apart
into columns again) cost several times the database's own COPY of the same rows. Here
PostgreSQL extracts every item and page time from the JSON documents and the timestamps as
epoch seconds, writes them as CSV, and pyarrow parses the stream into columns batch by
batch, so Python never touches a row: memory stays bounded by the batch, not the wave.

CSV conventions of COPY relied on: NULL is an unquoted empty field, an empty string a quoted
one (kept apart with `quoted_strings_can_be_null=False`); the only null marker is the empty
field, so an answer "NA" or "null" stays text; quoted fields may hold newlines (free text).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from pyarrow import csv as pa_csv

# Bytes of CSV parsed per batch: about 20,000 responses of 60 items.
BLOCK_BYTES = 8 << 20

FIXED = (
    ("ids", "id", pa.int64()),
    ("source_id", "source_id", pa.string()),
    ("status", "status", pa.string()),
    ("language", "language", pa.string()),
    ("member", "member_id", pa.int64()),
    ("invitation", "invitation_id", pa.int64()),
    ("fingerprint", "fingerprint", pa.string()),
    ("honeypot", "honeypot_filled", pa.bool_()),
    ("started_at", "extract(epoch FROM started_at)::float8", pa.float64()),
    ("completed_at", "extract(epoch FROM completed_at)::float8", pa.float64()),
    ("updated_at", "extract(epoch FROM updated_at)::float8", pa.float64()),
)

Columns = tuple[dict[str, np.ndarray], list[pa.Array], list[np.ndarray]]


class CopyStream(io.RawIOBase):
    """The blocks of a COPY TO STDOUT as a readable file, for pyarrow's streaming reader."""

    def __init__(self, blocks: Iterator[memoryview]) -> None:
        self._blocks = blocks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._pending = memoryview(block)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def copy_file(copy: Iterable[memoryview]) -> io.BufferedReader:
    """A COPY TO STDOUT in progress as a buffered file."""
    return io.BufferedReader(CopyStream(iter(copy)), buffer_size=BLOCK_BYTES)


def is_empty(stream: io.BufferedReader) -> bool:
    """Whether a COPY sent no rows: pyarrow refuses a CSV of no bytes ("Empty CSV file")
    where it should read no rows."""
    return not stream.peek(1)


def copy_csv_options(
    names: list[str], types: dict[str, pa.DataType], **convert: Any
) -> dict[str, Any]:
    """pyarrow's reading of COPY (FORMAT csv): NULL is an unquoted empty field and "" a
    quoted one, so only the former is null; values may hold line breaks."""
    return {
        "read_options": pa_csv.ReadOptions(column_names=names, block_size=BLOCK_BYTES),
        "parse_options": pa_csv.ParseOptions(newlines_in_values=True),
        "convert_options": pa_csv.ConvertOptions(
            column_types=types,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            **convert,
        ),
    }


def copy_columns(wave_id: int, items: list[str], pages: list[str]) -> Iterator[Columns]:
    """Per batch, in the order the table holds the rows (not by id): the fixed fields as
    arrays (ids; texts as objects with None; member and invitation -1 when absent;
    timestamps as epoch seconds, NaN when absent), then each item's answers as a pyarrow
    string array (null when absent) and each page's seconds as text."""
    item_names = [f"a{j}" for j in range(len(items))]
    page_names = [f"t{p}" for p in range(len(pages))]
    select = ", ".join(
        [expression for _name, expression, _type in FIXED]
        + ["answers ->> %s"] * len(items)
        + ["paradata -> 'pages' -> %s ->> 'seconds'"] * len(pages)
    )
    # Only fixed column expressions are spliced in; item and page names are parameters.
    # No ORDER BY: sorting would hold the first row back until the server had extracted
    # and sorted them all, where unsorted rows stream while pyarrow reads them; the
    # caller puts them in id order.
    sql = (
        f"COPY (SELECT {select} FROM respondents_response WHERE wave_id = %s) "  # noqa: S608
        "TO STDOUT WITH (FORMAT csv)"
    )
    names = [name for name, _expression, _type in FIXED] + item_names + page_names
    types = {name: kind for name, _expression, kind in FIXED}
    types.update({name: pa.string() for name in item_names + page_names})
    with connection.cursor() as cursor, cursor.cursor.copy(sql, [*items, *pages, wave_id]) as copy:
        stream = copy_file(copy)
        if is_empty(stream):
            return
        reader = pa_csv.open_csv(
            stream, **copy_csv_options(names, types, true_values=["t"], false_values=["f"])
        )
        for batch in reader:
            yield _arrays(batch, item_names, page_names)


def _arrays(batch: pa.RecordBatch, items: list[str], pages: list[str]) -> Columns:
    fixed: dict[str, np.ndarray] = {}
    for name, _expression, kind in FIXED:
        column = batch.column(name)
        if name in ("member", "invitation"):
            fixed[name] = pc.fill_null(column, -1).to_numpy()
        elif kind == pa.bool_():
            fixed[name] = pc.fill_null(column, False).to_numpy(zero_copy_only=False)
        elif kind == pa.string():
            fixed[name] = column.to_numpy(zero_copy_only=False).astype(object)
        else:
            fixed[name] = column.to_numpy(zero_copy_only=False)
    texts = [batch.column(name) for name in items]
    seconds = [batch.column(name).to_numpy(zero_copy_only=False) for name in pages]
    return fixed, texts, seconds
