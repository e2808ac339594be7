"""import_responses on PostgreSQL: the same checks and messages as the row-by-row reading in
respondents/services/imports.py, done column by column (import_answers.py), and the good
rows loaded with one COPY per chunk.

A file of 100,000 rows holds far fewer distinct cells than cells: an age column has a
hundred values, a select_one a dozen. So each column is reduced to its distinct values
(numpy codes) and each distinct value is read once, by the same functions the row-by-row
reading calls; timestamps, page times, channel, language, fingerprint and panel key too.

A row is loaded from these tables when every cell of it is certainly fine. A row with any
problem is read again, alone, by imports.prepare_row, which writes the reasons a researcher
sees; so the messages are the row-by-row reading's own, and the column pass only ever has
to tell "certainly fine" from "look closer".

The rows are validated before they reach the database, so they need no staging table:
they go, as CSV written by pyarrow, straight into respondents_response with `COPY`. A
transaction-scoped advisory lock per wave makes imports into one wave take turns per
chunk; under it, source_ids another import stored meanwhile are looked up once more and
their rows refused as already imported (before any member is made for them), so the COPY
never meets a duplicate and a refused row leaves nothing behind. One transaction per chunk,
as the row-by-row reading has one per batch.

While a chunk loads (the database's work, most of it waiting on the server), the next is
checked in a second thread. The check asks the database nothing (a connection of its own
would not see the import's transaction; a query there raises): the chunk's source_ids
already in the wave are looked up by this thread before the check is queued, and rows
stored meanwhile are still caught under the lock, as above.

A roster's numbered columns (import_rosters.py) are read per row, by the row-by-row
reading's own function (imports.roster_answers), after the column pass has read the row's
other pages: a roster sees only the answers of the pages before it, and no other page
reads a roster, so the two readings are independent. A form whose other pages do read a
roster (`count(${members})` in a relevant) has every row of such a file read whole by
imports.prepare_row (still loaded with COPY).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection, transaction
from django.utils import timezone, translation

from config.one_ahead import one_ahead
from respondents.models import MemberStatus, Response, ResponseStatus, Wave
from respondents.services import imports
from respondents.services.form_schema import FormSchema
from respondents.services.import_answers import (
    Columns,
    Planner,
    answer_fragments,
    by_code,
    columns_of,
    joined,
)
from respondents.services.import_rosters import filled_entries, posted_entries
from respondents.services.panel_signup import new_pseudonym

# Rows read, checked and loaded per transaction: large enough that the fixed cost of a COPY
# and of the per-column passes is small, small enough that checking the next chunk hides
# most of the loading (import_chunks) and that the chunks in flight (one read, one checked,
# one loaded; about 50 bytes a cell as Python strings) stay to a few hundred megabytes.
CHUNK_ROWS = 20_000
RESPONSE_COLUMNS = (
    "id",
    "wave_id",
    "member_id",
    "channel",
    "language",
    "status",
    "answers",
    "paradata",
    "current_page",
    "fingerprint",
    "source_id",
    "honeypot_filled",
    "started_at",
    "completed_at",
    "updated_at",
)
# pg_advisory_xact_lock's first key: imports into a wave (the second key is the wave).
IMPORT_LOCK = 20_0001
# Timestamps travel to COPY as microseconds since the epoch, in UTC.
TIMESTAMP = pa.timestamp("us", tz="UTC")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
NO_MOMENT = np.iinfo(np.int64).min


def import_chunks(
    wave: Wave, layout: imports.Layout, reader: Iterator[list[str]], tally: imports.Tally
) -> None:
    """Import every record of `reader` (the header already read) into the wave: each chunk
    is checked in a second thread while this one loads the chunk before it."""
    planner = Planner(layout)
    language = translation.get_language()

    def looked_up() -> Iterator[Callable[[], _Checked]]:
        for chunk in imports.batches(reader, CHUNK_ROWS):
            # The one query the check needs, asked here: the checking thread has none.
            already = imports.already_imported(wave, imports.batch_source_ids(layout, chunk))
            yield partial(_check_chunk, wave, layout, planner, chunk, already, tally)

    checking = partial(_in_checking_thread, language)
    for checked in one_ahead(looked_up(), checking, name="import-check"):
        tally.errors.extend(checked.errors)
        if checked.loaded.number:
            _load(wave, checked.loaded.table(), tally)


def _refuse_queries(*_args: object) -> None:
    raise RuntimeError("an import's checking thread must not query the database")


def _in_checking_thread(language: str | None, check: Callable[[], _Checked]) -> _Checked:
    """A chunk's check (_check_chunk) in the checking thread, in the import's language. It
    asks the database nothing: a connection of its own would not see the import's
    transaction."""
    with translation.override(language), connection.execute_wrapper(_refuse_queries):
        return check()


# -- one chunk -----------------------------------------------------------------------------


@dataclass
class _Loaded:
    """Columns of the rows to load, in file order."""

    number: list[pa.Array] = field(default_factory=list)
    source_id: list[pa.Array] = field(default_factory=list)
    key_hash: list[pa.Array] = field(default_factory=list)
    answers: list[pa.Array] = field(default_factory=list)
    paradata: list[pa.Array] = field(default_factory=list)
    channel: list[pa.Array] = field(default_factory=list)
    language: list[pa.Array] = field(default_factory=list)
    completed: list[pa.Array] = field(default_factory=list)
    fingerprint: list[pa.Array] = field(default_factory=list)
    started_at: list[pa.Array] = field(default_factory=list)
    completed_at: list[pa.Array] = field(default_factory=list)

    def table(self) -> pa.Table:
        def joined(parts: list[pa.Array], kind: pa.DataType) -> pa.Array:
            return pa.concat_arrays([part.cast(kind) for part in parts])

        completed = joined(self.completed, pa.bool_())
        status = pc.if_else(
            completed, str(ResponseStatus.COMPLETED.value), str(ResponseStatus.ABANDONED.value)
        )
        page = pc.if_else(completed, imports.END_PAGE, "")
        return pa.table(
            {
                "number": joined(self.number, pa.int64()),
                "source_id": joined(self.source_id, pa.string()),
                "key_hash": joined(self.key_hash, pa.string()),
                "answers": joined(self.answers, pa.string()),
                "paradata": joined(self.paradata, pa.string()),
                "channel": joined(self.channel, pa.string()),
                "language": joined(self.language, pa.string()),
                "status": status,
                "current_page": page,
                "fingerprint": joined(self.fingerprint, pa.string()),
                "started_at": joined(self.started_at, TIMESTAMP),
                "completed_at": joined(self.completed_at, TIMESTAMP),
            }
        )


@dataclass
class _Checked:
    """A chunk checked: the rows to load, and the refused rows with their reasons."""

    loaded: _Loaded
    errors: list[imports.RowError]


def _check_chunk(
    wave: Wave,
    layout: imports.Layout,
    planner: Planner,
    chunk: list[tuple[int, list[str]]],
    already: set[str | None],
    tally: imports.Tally,
) -> _Checked:
    """The chunk's rows checked; `tally` gains the source_ids seen and any notes (only the
    checking thread writes those), not the errors (returned)."""
    sources = imports.source_reasons(wave, layout, chunk, tally, already)
    candidates = [i for i, reasons in enumerate(sources) if reasons == []]
    loaded = _Loaded()
    slow = {i for i in range(len(chunk)) if sources[i] != []}
    if layout.roster_cells and planner.reads_rosters:
        # Other pages read the entries: each row is read whole by the row-by-row reading
        # (still loaded with COPY).
        slow |= set(candidates)
    elif candidates:
        fine = _check_columns(wave, layout, planner, chunk, candidates, tally, loaded)
        slow |= {index for index, ok in zip(candidates, fine, strict=True) if not ok}
    errors: list[imports.RowError] = []
    for index in sorted(slow):
        number, values = chunk[index]
        row, reasons = imports.prepare_row(wave, layout, number, values, sources[index], tally)
        if reasons:
            errors.append(imports.RowError(number, "; ".join(reasons)))
        elif row is not None:
            _add_response(loaded, row)
    return _Checked(loaded, errors)


def _add_response(loaded: _Loaded, row: imports.Row) -> None:
    """A row that the full reading found fine after all (a driver group it shares with
    refused rows, say)."""
    response: Response = row.response
    loaded.number.append(pa.array([row.number]))
    loaded.source_id.append(pa.array([row.source_id]))
    loaded.key_hash.append(pa.array([row.panel_key_hash], pa.string()))
    loaded.answers.append(pa.array([json.dumps(response.answers)]))
    loaded.paradata.append(pa.array([json.dumps(response.paradata)]))
    loaded.channel.append(pa.array([response.channel]))
    loaded.language.append(pa.array([response.language]))
    loaded.completed.append(pa.array([response.completed_at is not None]))
    loaded.fingerprint.append(pa.array([response.fingerprint]))
    loaded.started_at.append(pa.array([response.started_at], TIMESTAMP))
    loaded.completed_at.append(pa.array([response.completed_at], TIMESTAMP))


def _check_columns(
    wave: Wave,
    layout: imports.Layout,
    planner: Planner,
    chunk: list[tuple[int, list[str]]],
    candidates: list[int],
    tally: imports.Tally,
    loaded: _Loaded,
) -> np.ndarray:
    """Which candidate rows are certainly fine; their columns are added to `loaded`."""
    columns = columns_of(layout.header, [chunk[i][1] for i in candidates])
    count = columns.rows
    fine = np.ones(count, dtype=bool)

    started_codes, started_text = columns.column("started_at")
    started = [_moment(text) for text in started_text]
    fine &= np.array([moment is not None for moment in started])[started_codes]
    completed_codes, completed_text = columns.column("completed_at")
    completed_at = [_moment(text) for text in completed_text]
    fine &= np.array(
        [m is not None or not t for m, t in zip(completed_at, completed_text, strict=True)]
    )[completed_codes]
    is_completed = np.array([bool(text) for text in completed_text])[completed_codes]
    started_us = _micros(started)[started_codes]
    completed_us = _micros(completed_at)[completed_codes]
    fine &= ~(is_completed & (completed_us < started_us))

    paradata = _page_fragments(layout, columns, fine)
    channel = _per_value(
        columns, "channel", fine, lambda text, r: imports.channel_of(wave, text, r)
    )
    language = _per_value(
        columns, "language", fine, lambda text, r: imports.language_of(layout.schema, text, r)
    )
    fingerprint_codes, fingerprint_text = columns.column("fingerprint")
    fingerprints = imports.fingerprints_of(wave, fingerprint_text, tally)
    key_codes, key_text = columns.column("panel_key")
    key_hashes = imports.panel_key_hashes(wave, key_text)

    answers = answer_fragments(planner, columns, is_completed, fine)
    if layout.roster_cells:
        rows = [chunk[i][1] for i in candidates]
        answers = with_rosters(layout, rows, answers, is_completed, fine)

    keep = pa.array(np.flatnonzero(fine))
    if len(keep) == 0:
        return fine
    numbers = np.array([chunk[i][0] for i in candidates], dtype=np.int64)
    source_codes, source_text = columns.column("source_id")
    loaded.number.append(pa.array(numbers).take(keep))
    loaded.source_id.append(by_code(source_text, source_codes, pa.string()).take(keep))
    loaded.key_hash.append(by_code(key_hashes, key_codes, pa.string()).take(keep))
    loaded.answers.append(answers.take(keep))
    loaded.paradata.append(paradata.take(keep))
    loaded.channel.append(channel.take(keep))
    loaded.language.append(language.take(keep))
    loaded.completed.append(pa.array(is_completed).take(keep))
    loaded.fingerprint.append(by_code(fingerprints, fingerprint_codes, pa.string()).take(keep))
    loaded.started_at.append(by_code(started, started_codes, TIMESTAMP).take(keep))
    loaded.completed_at.append(by_code(completed_at, completed_codes, TIMESTAMP).take(keep))
    return fine


def with_rosters(
    layout: imports.Layout,
    rows: list[list[str]],
    answers: pa.Array,
    is_completed: np.ndarray,
    fine: np.ndarray,
) -> pa.Array:
    """Each fine row's answers (JSON objects) with its roster entries added; a row whose
    entries have any problem is marked in `fine`, for the row-by-row reading to word."""
    schema = layout.schema
    rosters = [page for page in schema.pages if page.repeat is not None]
    before = _keys_before(schema)
    header = layout.header
    texts: list[str | None] = answers.to_pylist()
    for index in np.flatnonzero(fine):
        cells = dict(zip(header, (value.strip() for value in rows[index]), strict=True))
        filled = filled_entries(layout.roster_cells, cells)
        stored = json.loads(texts[index] or "{}")
        added: dict[str, object] = {}
        for page in rosters:
            if page.name not in filled:
                continue
            namespace = {k: v for k, v in stored.items() if k in before[page.name]}
            namespace.update(added)
            reasons: list[str] = []
            posted = posted_entries(page, filled[page.name], imports.raw_answer)
            imports.roster_answers(
                schema, page, posted, namespace, bool(is_completed[index]), reasons, True
            )
            if reasons:
                fine[index] = False
                break
            if page.name in namespace:
                added[page.name] = namespace[page.name]
        if fine[index] and added:
            texts[index] = json.dumps({**stored, **added})
    return pa.array(texts, pa.string())


def _keys_before(schema: FormSchema) -> dict[str, set[str]]:
    """Per roster, the answer keys of the pages before it (what its namespace holds in
    the row-by-row reading, which reads the pages in order)."""
    keys: set[str] = set()
    before: dict[str, set[str]] = {}
    for page in schema.pages:
        if page.repeat is not None:
            before[page.name] = set(keys)
            keys.add(page.name)
            continue
        for question in page.questions:
            keys.add(question.name)
            if question.other_choice:
                keys.add(question.other_name)
    return before


def _moment(text: str) -> datetime | None:
    reasons: list[str] = []
    return imports.timestamp_of({"cell": text}, "cell", reasons)


def _micros(moments: list[datetime | None]) -> np.ndarray:
    """Exact microseconds since the epoch (floats would round), the least for none."""
    return np.array(
        [NO_MOMENT if m is None else (m - EPOCH) // MICROSECOND for m in moments],
        dtype=np.int64,
    )


def _per_value(
    columns: Columns,
    name: str,
    fine: np.ndarray,
    read: Callable[[str, list[str]], str],
) -> pa.Array:
    """A fixed column read once per distinct value; a value with a problem marks its rows."""
    codes, texts = columns.column(name)
    values: list[str] = []
    good: list[bool] = []
    for text in texts:
        reasons: list[str] = []
        values.append(read(text, reasons))
        good.append(not reasons)
    fine &= np.array(good)[codes]
    return by_code(values, codes, pa.string())


def _page_fragments(layout: imports.Layout, columns: Columns, fine: np.ndarray) -> pa.Array:
    parts: list[pa.Array] = []
    for column, page in layout.page_times.items():
        if column not in columns.codes:
            continue
        codes, texts = columns.column(column)
        fragments: list[str | None] = []
        good: list[bool] = []
        for text in texts:
            reasons: list[str] = []
            pages = imports.page_times_of({column: page}, {column: text}, reasons)
            good.append(not reasons)
            fragments.append(
                f"{json.dumps(page)}: {json.dumps(pages[page])}" if page in pages else None
            )
        fine &= np.array(good)[codes]
        parts.append(by_code(fragments, codes, pa.string()))
    pages = joined(parts, columns.rows)
    return pc.binary_join_element_wise(
        '{"pages": {', pages, '}, "metadata": {}, "imported": true}', ""
    )


# -- loading -------------------------------------------------------------------------------


def _load(wave: Wave, table: pa.Table, tally: imports.Tally) -> None:
    """Members, then one COPY into respondents_response, in one transaction."""
    table = _with_members(wave, table, tally)
    if table.num_rows == 0:
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Imports into one wave take turns per chunk, so the check below sees every
            # source_id another import stored, and the COPY meets no duplicate.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, wave.pk])
        source_ids = table.column("source_id").to_pylist()
        stored = _stored_source_ids(wave, source_ids)
        refused = np.array([source_id in stored for source_id in source_ids], dtype=bool)
        numbers = table.column("number").to_pylist()
        for number, source_id, clash in zip(numbers, source_ids, refused, strict=True):
            if clash:
                message = imports.ERROR_SOURCE_ID_IMPORTED.format(source_id=source_id, wave=wave.pk)
                tally.errors.append(imports.RowError(number, message))
        table = table.filter(pa.array(~refused))
        hashes = table.column("key_hash").to_pylist()
        member_ids = table.column("member_id").to_pylist()
        missing = sorted({h for h, m in zip(hashes, member_ids, strict=True) if h and m is None})
        created = _create_members(wave, missing)
        member_ids = [
            created.get(h) if m is None else m for h, m in zip(hashes, member_ids, strict=True)
        ]
        table = table.set_column(
            table.schema.get_field_index("member_id"),
            "member_id",
            pa.array(member_ids, pa.int64()),
        )
        ids = _new_response_ids(table.num_rows)
        _copy(wave, table.append_column("id", pa.array(ids, pa.int64())))
        imports.scrub_later(ids)
    tally.imported += table.num_rows
    tally.members_created += len(created)


def _stored_source_ids(wave: Wave, source_ids: list[str]) -> set[str]:
    """Those of `source_ids` already in the wave, looked up under the lock (the check's
    imports.already_imported ran before it, possibly before another import committed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT source_id FROM respondents_response WHERE wave_id = %s AND source_id = ANY(%s)",
            [wave.pk, source_ids],
        )
        return {source_id for (source_id,) in cursor.fetchall()}


def _new_response_ids(count: int) -> list[int]:
    """`count` ids from respondents_response's own sequence, given to the rows in the COPY:
    the scrub tasks need them, and finding them afterwards by source_id cost a lookup of
    every loaded row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('respondents_response', 'id'))"
            " FROM generate_series(1, %s)",
            [count],
        )
        return [response_id for (response_id,) in cursor.fetchall()]


def _create_members(wave: Wave, key_hashes: list[str]) -> dict[str, int]:
    """New members, one per panel key hash, as the row-by-row reading makes them: one INSERT
    from two arrays (bulk_create spends most of its time building the statement)."""
    if not key_hashes:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO respondents_panelmember (study_id, pseudonym, status, recruited_in_id,"
            " panel_key_hash, preferred_language, created_at)"
            " SELECT %s, pseudonym, %s, %s, key_hash, '', %s"
            " FROM unnest(%s::text[], %s::text[]) AS new (pseudonym, key_hash)"
            " RETURNING panel_key_hash, id",
            [
                wave.study_id,
                MemberStatus.ACTIVE.value,
                wave.pk,
                timezone.now(),
                [new_pseudonym() for _ in key_hashes],
                key_hashes,
            ],
        )
        return dict(cursor.fetchall())


def _with_members(wave: Wave, table: pa.Table, tally: imports.Tally) -> pa.Table:
    """The study's existing member per panel key; rows of withdrawn members are refused."""
    hashes = table.column("key_hash").to_pylist()
    with connection.cursor() as cursor:
        # One array parameter: a chunk's distinct keys as an IN list could pass
        # PostgreSQL's 65,535 parameters.
        cursor.execute(
            "SELECT panel_key_hash, id, status FROM respondents_panelmember"
            " WHERE study_id = %s AND panel_key_hash = ANY(%s)",
            [wave.study_id, sorted({h for h in hashes if h})],
        )
        members: dict[str, tuple[int, str]] = {
            key: (pk, status) for key, pk, status in cursor.fetchall()
        }
    withdrawn = np.array(
        [bool(h) and h in members and members[h][1] == MemberStatus.WITHDRAWN for h in hashes],
        dtype=bool,
    )
    for number in np.asarray(table.column("number"))[withdrawn]:
        tally.errors.append(imports.RowError(int(number), imports.ERROR_WITHDRAWN))
    member_ids = [members[h][0] if h and h in members else None for h in hashes]
    table = table.append_column("member_id", pa.array(member_ids, pa.int64()))
    return table.filter(pa.array(~withdrawn))


def _copy(wave: Wave, table: pa.Table) -> None:
    """The rows into respondents_response with one COPY, as CSV written by pyarrow."""
    count = table.num_rows
    constant = {
        "wave_id": pa.array(np.full(count, wave.pk, dtype=np.int64)),
        "honeypot_filled": pa.array(np.zeros(count, dtype=bool)),
        "updated_at": pa.repeat(pa.scalar(timezone.now(), TIMESTAMP), count),
    }
    text = {"channel", "language", "current_page", "fingerprint"}
    columns = {
        name: constant[name]
        if name in constant
        else pc.fill_null(table.column(name), "")
        if name in text
        else table.column(name)
        for name in RESPONSE_COLUMNS
    }
    buffer = io.BytesIO()
    pa_csv.write_csv(pa.table(columns), buffer, pa_csv.WriteOptions(include_header=False))
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY respondents_response ({', '.join(RESPONSE_COLUMNS)}) FROM STDIN (FORMAT csv)"
        ) as copy,
    ):
        copy.write(buffer.getbuffer())
