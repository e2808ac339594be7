"""A batch of responses as columns: the answers flattened by the database, not in Python.

On PostgreSQL one `COPY (SELECT ...) TO STDOUT` per batch extracts every answer the export
reads (one column per key), the status and the duration, and pyarrow parses the CSV stream
into columns. Each answer column is then dictionary-encoded by pyarrow, so Python work grows
with the number of distinct answers (five for a five-point item), not with the cells: a
column is kept as (codes, values), the position of each row's answer among the distinct
values.

Answers whose type matters are read as JSON (`->`) and decoded once per distinct value: the
keys skip logic reads (so it sees a number, a list, a boolean as the respondent's form did)
and select_multiple lists. The rest are read as text (`->>`): a choice name as itself, a
number as its digits, which is all their columns need (exports/columns.py parses numbers).
Elsewhere (SQLite, embedded use) the answer documents are read through the ORM and given
the same shape in Python.

Stored scrubs of free text (respondents/freetext/) are read by a second query per batch,
every scrub of the batch's responses under the keys asked, and placed on their rows in
numpy: text, counts by kind, scrubber version and digest as columns beside the answers
(respondents/freetext/release.py releases them). One lateral join per key and row inside
the answers' COPY cost PostgreSQL an index lookup per cell: several times this read.

CSV conventions of COPY relied on (as in respondents/wave_copy.py): NULL is an unquoted empty
field and an empty string a quoted one (kept apart), so the empty field means "no such key".
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import F
from pyarrow import csv as pa_csv

from config.anyof import AnyOf
from exports.factors import Factor
from respondents.freetext.models import ScrubbedAnswer
from respondents.freetext.release import StoredColumn
from respondents.models import Response
from respondents.wave_copy import copy_csv_options, copy_file

ORM_CHUNK = 500


@dataclass(frozen=True)
class FlatBatch:
    """Responses in the order asked, with their answers as factors."""

    ids: np.ndarray  # int64
    status: np.ndarray  # object: the response status
    # Seconds from start to completion; NaN for a response not completed.
    duration: np.ndarray  # float64
    answers: dict[str, Factor]
    # Free-text key -> its stored scrubs, row by row (PostgreSQL only).
    scrubs: dict[str, StoredColumn]

    def rows(self, ids: Sequence[int]) -> FlatBatch:
        """The same columns for `ids` (a subset), in that order."""
        position = {int(pk): i for i, pk in enumerate(self.ids)}
        take = np.fromiter((position[int(pk)] for pk in ids), dtype=np.intp, count=len(ids))
        return FlatBatch(
            ids=self.ids[take],
            status=self.status[take],
            duration=self.duration[take],
            answers={k: f.take(take) for k, f in self.answers.items()},
            scrubs={k: column.take(take) for k, column in self.scrubs.items()},
        )


def flatten(
    ids: Sequence[int],
    keys: Sequence[str],
    typed: AbstractSet[str] = frozenset(),
    scrubbed: Sequence[str] = (),
) -> FlatBatch:
    """The responses `ids` (in that order) with the answers under `keys`: as stored (a
    number, a list, ...) for the keys in `typed`, as text for the others (a number as its
    digits, a choice name as itself), which is how the column rules read them. On
    PostgreSQL the stored scrubs of the free-text keys in `scrubbed` come with them;
    elsewhere `scrubs` is empty and the release reads them itself."""
    if not ids:
        return FlatBatch(
            ids=np.zeros(0, dtype=np.int64),
            status=np.zeros(0, dtype=object),
            duration=np.zeros(0),
            answers={key: Factor(np.zeros(0, dtype=np.intp), []) for key in keys},
            scrubs={key: StoredColumn.empty(0) for key in scrubbed},
        )
    if connection.vendor == "postgresql":
        return _copied(ids, keys, typed, scrubbed).rows(ids)
    return _through_orm(ids, keys, typed).rows(ids)


def _copied(
    ids: Sequence[int], keys: Sequence[str], typed: AbstractSet[str], scrubbed: Sequence[str]
) -> FlatBatch:
    names = ["id", "status", "duration", *(f"a{j}" for j in range(len(keys)))]
    # `answers -> key` on the stored column would decompress the whole (TOASTed) document
    # again for every key; `answers || '{}'` in a subquery that is not flattened (OFFSET 0)
    # holds each document decompressed once, and every key is read from that copy.
    # `->>` (text) is twice as fast as `->` (JSON text, quoted once more in the CSV), so
    # JSON is asked only where the type matters.
    select = ", ".join(
        [
            "flat.id",
            "flat.status",
            "flat.duration",
            *("flat.a -> %s" if k in typed else "flat.a ->> %s" for k in keys),
        ]
    )
    # Only fixed expressions are spliced in; the keys and ids are parameters.
    query = (
        f"COPY (SELECT {select} FROM (SELECT id, status, "  # noqa: S608
        "extract(epoch FROM completed_at - started_at)::float8 AS duration, "
        "answers || '{}'::jsonb AS a FROM respondents_response WHERE id = ANY(%s) "
        "OFFSET 0) AS flat) TO STDOUT WITH (FORMAT csv)"
    )
    types: dict[str, pa.DataType] = {name: pa.string() for name in names}
    types["id"] = pa.int64()
    types["duration"] = pa.float64()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(query, [*keys, list(ids)]) as copy,
    ):
        table = pa_csv.read_csv(copy_file(copy), **copy_csv_options(names, types))
    ids_read = table.column("id").to_numpy()
    return FlatBatch(
        ids=ids_read,
        status=table.column("status").to_numpy(zero_copy_only=False).astype(object),
        duration=pc.fill_null(table.column("duration"), np.nan).to_numpy(),
        answers={
            key: _decoded(table.column(f"a{j}"), json_text=key in typed)
            for j, key in enumerate(keys)
        },
        scrubs=_stored_scrubs(ids, scrubbed, ids_read) if scrubbed else {},
    )


def _stored_scrubs(
    ids: Sequence[int], keys: Sequence[str], rows: np.ndarray
) -> dict[str, StoredColumn]:
    """Every stored scrub of these responses under `keys`, on the rows (ids `rows`) of
    their responses. At most one scrub per (response, key): the table's unique constraint.
    A plain query: through COPY each scrub would be a Python round of the protocol."""
    # Only the model's table name is spliced in; ids and keys are parameters.
    query = (
        "SELECT response_id, key, text, found::text, version, digest "  # noqa: S608
        f"FROM {ScrubbedAnswer._meta.db_table} WHERE response_id = ANY(%s) AND key = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [list(ids), list(keys)])
        found_rows = cursor.fetchall()
    if not found_rows:
        return {key: StoredColumn.empty(len(rows)) for key in keys}
    response, key_of, text, found, version, digest = (
        np.array(values, dtype=object) for values in zip(*found_rows, strict=True)
    )
    order = np.argsort(rows)
    place = order[np.searchsorted(rows, response.astype(np.int64), sorter=order)]
    # Counts by kind decoded once per distinct value (most are "{}").
    found_code, distinct = pd.factorize(found)
    counts = [json.loads(value) for value in distinct]
    result = {}
    for key in keys:
        column = StoredColumn.empty(len(rows))
        mine = key_of == key
        at = place[mine]
        column.text[at] = text[mine]
        column.version[at] = version[mine].astype(np.int64)
        column.digest[at] = digest[mine]
        column.found_code[at] = found_code[mine]
        result[key] = StoredColumn(
            column.text, column.version, column.digest, column.found_code, counts
        )
    return result


def _decoded(column: pa.ChunkedArray, *, json_text: bool) -> Factor:
    encoded = pc.dictionary_encode(column.combine_chunks())
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.intp)
    values = encoded.dictionary.to_pylist()
    if json_text:
        values = [json.loads(text) for text in values]
    return Factor(codes, values)


def _through_orm(ids: Sequence[int], keys: Sequence[str], typed: AbstractSet[str]) -> FlatBatch:
    rows = list(
        Response.objects.filter(AnyOf(F("pk"), ids))
        .values_list("pk", "status", "started_at", "completed_at", "answers")
        .iterator(chunk_size=ORM_CHUNK)
    )
    answers = [row[4] or {} for row in rows]
    return FlatBatch(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        status=np.array([row[1] for row in rows], dtype=object),
        duration=np.array(
            [
                (row[3] - row[2]).total_seconds()
                if row[3] is not None and row[2] is not None
                else np.nan
                for row in rows
            ],
            dtype=np.float64,
        ),
        answers={
            key: _encoded(
                (doc.get(key) if key in typed else _as_text(doc.get(key)))
                if key in doc
                else _ABSENT
                for doc in answers
            )
            for key in keys
        },
        scrubs={},
    )


_ABSENT = object()


def _as_text(value: Any) -> Any:
    """An answer as PostgreSQL's `->>` gives it."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _encoded(values: Iterator[Any]) -> Factor:
    """Factor of Python values; lists (select_multiple) are told apart by their JSON text."""
    position: dict[str, int] = {}
    distinct: list[Any] = []
    codes = []
    for value in values:
        if value is _ABSENT:
            codes.append(-1)
            continue
        text = json.dumps(value, sort_keys=True)
        if text not in position:
            position[text] = len(distinct)
            distinct.append(value)
        codes.append(position[text])
    return Factor(np.array(codes, dtype=np.intp), distinct)
