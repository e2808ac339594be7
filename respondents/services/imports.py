"""import_responses: load responses collected elsewhere (docs/design.md, "Import format for
responses") into a wave, each row checked against the wave's questionnaire version.

The file: CSV, UTF-8 (a byte-order mark is allowed), a header row. Columns: `source_id`
(required), `panel_key`, `started_at` (required), `completed_at`, `fingerprint`,
`time_<page>`, one column per item (`<item>_other` for an "other, specify" text), a roster's
items in one column per entry as the wide export numbers them (`<item>_<n>`, see
import_rosters.py), and two optional extensions, `channel` and `language`. Anything else
refuses the whole file, once, naming the columns, before a row is read.

Row rules. Rows are numbered as a spreadsheet shows them (the header is row 1):
- types as the web form reads them (integer, decimal with "." or ",", date as YYYY-MM-DD);
  select_one a choice name; select_multiple space-separated choice names;
- `constraint` checked through surveys.expressions; `required` only on completed rows (a
  partial response has legitimately not reached later pages);
- an answer to an item that `relevant` hides, given the row's other answers, rejects the
  row: such an answer was collected under different logic than this version's, and the web
  form would never have stored it (hidden items are neither asked nor stored). Blank the
  column in the file to import the rest of the row;
- `source_id` is unique per wave: a row whose source_id is already in the wave, or repeats
  an earlier row, is rejected (re-running an interrupted import is therefore safe);
- `panel_key` finds or creates the study's PanelMember by HMAC (PANELWAVE_HASH_KEY, keyed
  by study too): the raw key is stored nowhere, and the same key in the next wave's file
  links to the same member. A key whose member has withdrawn rejects the row;
- `fingerprint` is stored only as an HMAC under the wave's fingerprint key (never raw);
  after that key is destroyed it is dropped;
- timestamps without an offset are read as UTC; a row with `completed_at` is completed,
  one without is abandoned (it was collected elsewhere and can never be resumed here).

The entry point is import_responses.py; this module holds the rules and the row-by-row
path. On PostgreSQL, import_copy.py reads the file column by column with these same checks and
loads the good rows with COPY (its docstring says how). Elsewhere (SQLite), good rows are
bulk-inserted in batches; a batch that hits a uniqueness race is retried row by row, each
in its own savepoint, so a rejected row never leaves anything behind.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from config.queueing import enqueue_on_commit
from respondents.fingerprints import imported_fingerprint, imported_fingerprints
from respondents.freetext import tasks as freetext_tasks
from respondents.models import MemberStatus, PanelMember, Response, ResponseStatus, Wave
from respondents.services.answers import check_page, page_is_relevant
from respondents.services.contacts import keyed_hash, keyed_hashes
from respondents.services.form_schema import FormPage, FormQuestion, FormSchema, load_form
from respondents.services.import_rosters import (
    RosterCell,
    bare_columns_problem,
    column_of,
    filled_entries,
    posted_entries,
    read_roster,
    roster_cells,
    stored_entries,
)
from respondents.services.panel_signup import new_pseudonym
from respondents.services.rosters import SEPARATOR
from respondents.services.waves import validate_channel
from surveys.models import QuestionType

RESERVED_COLUMNS = (
    "source_id",
    "panel_key",
    "started_at",
    "completed_at",
    "fingerprint",
    "channel",
    "language",
)
TIME_PREFIX = "time_"
# Rows validated and inserted per transaction: a 10,000-row wave is 20 batches, and a batch
# that must fall back to row-by-row savepoints stays short.
BATCH_SIZE = 500
SOURCE_ID_MAX_LENGTH = 200
# Bad values are quoted in reasons to help fix the file; free text never is.
QUOTED_VALUE_CHARS = 40
END_PAGE = "end"
MESSAGE_LANGUAGE = "en"

ERROR_FILE_ENCODING = "{file}: not UTF-8 ({problem})"
ERROR_FILE_EMPTY = "{file}: empty, expected a header row"
ERROR_FILE_CSV = "{file}: not a readable CSV file ({problem})"
ERROR_DUPLICATE_COLUMN = "{file}: column {column!r} appears more than once in the header"
ERROR_NO_SOURCE_ID = "{file}: no source_id column (required)"
ERROR_UNKNOWN_COLUMNS = (
    "{file}: unknown column(s) {columns}: not items or pages of version {version}"
)
ERROR_WAVE_ARCHIVED = "Wave {wave} is archived; nothing can be imported into it."

ERROR_FIELD_COUNT = "has {got} fields, the header has {expected}"
ERROR_SOURCE_ID_EMPTY = "source_id is empty"
ERROR_SOURCE_ID_LONG = f"source_id is longer than {SOURCE_ID_MAX_LENGTH} characters"
ERROR_SOURCE_ID_REPEATED = "source_id {source_id!r} repeats row {row}"
ERROR_SOURCE_ID_IMPORTED = "source_id {source_id!r} was already imported into wave {wave}"
ERROR_TIMESTAMP = "{column} {value!r} is not an ISO 8601 timestamp"
ERROR_STARTED_REQUIRED = "started_at is empty (required)"
ERROR_COMPLETED_BEFORE = "completed_at is before started_at"
ERROR_SECONDS = "column {column!r}: {value!r} is not a number of seconds"
ERROR_LANGUAGE = "language {value!r} is not one of the version's languages ({languages})"
ERROR_CHANNEL = "channel: {problem}"
ERROR_CHOICE = "column {column!r}: {values} not a choice of list {choice_list!r}"
ERROR_ANSWER = "column {column!r}: {problem}"
FINGERPRINTS_DROPPED = "fingerprints dropped: the wave's fingerprint key has been destroyed"
ERROR_HIDDEN = "column {column!r}: answered, but relevant hides it given this row's answers"
ERROR_WITHDRAWN = "panel_key belongs to a panel member who has withdrawn"


class ImportFileError(Exception):
    """The whole file is refused; the message names the file and the problem."""


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str


@dataclass(frozen=True)
class ImportResult:
    wave_id: int
    imported: int
    rejected: int
    errors: tuple[RowError, ...]
    members_created: int
    notes: tuple[str, ...] = ()


@dataclass
class Row:
    number: int
    source_id: str
    panel_key_hash: str | None
    response: Response


@dataclass
class Tally:
    imported: int = 0
    members_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)
    # source_id -> the first row that carried it, across the whole file.
    seen: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """What each column of this file means for this version."""

    header: tuple[str, ...]
    schema: FormSchema
    page_times: dict[str, str]  # column -> page name
    # Numbered roster columns (import_rosters.py); a roster none of whose columns the file
    # has is not read.
    roster_cells: dict[str, RosterCell] = field(default_factory=dict)


def item_columns(schema: FormSchema) -> set[str]:
    """The item columns a file may hold outside rosters (a roster's entries have numbered
    columns of their own, import_rosters.py)."""
    columns: set[str] = set()
    for page in schema.pages:
        if page.repeat is not None:
            continue
        for question in page.questions:
            columns.add(question.name)
            if question.other_choice:
                columns.add(question.other_name)
    return columns


def read_header(wave: Wave, header: list[str] | None, file_name: str) -> Layout:
    if not header:
        raise ImportFileError(ERROR_FILE_EMPTY.format(file=file_name))
    names = tuple(name.strip() for name in header)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ImportFileError(ERROR_DUPLICATE_COLUMN.format(file=file_name, column=name))
        seen.add(name)
    if "source_id" not in seen:
        raise ImportFileError(ERROR_NO_SOURCE_ID.format(file=file_name))
    schema = load_form(wave.version)
    page_times = {f"{TIME_PREFIX}{page.name}": page.name for page in schema.pages}
    ordinary = set(RESERVED_COLUMNS) | item_columns(schema) | set(page_times)
    bare = bare_columns_problem(schema, (n for n in names if n not in ordinary), file_name)
    if bare:
        raise ImportFileError(bare)
    # An ordinary item's name wins over a roster item's numbered column.
    cells = roster_cells(schema, (name for name in names if name not in ordinary))
    known = ordinary | set(cells)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ImportFileError(
            ERROR_UNKNOWN_COLUMNS.format(
                file=file_name,
                columns=", ".join(repr(name) for name in unknown),
                version=wave.version_id,
            )
        )
    return Layout(header=names, schema=schema, page_times=page_times, roster_cells=cells)


def batches(reader: Iterator[list[str]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    """The file's records in lists of `size`, each with its row number."""
    batch: list[tuple[int, list[str]]] = []
    # Row 1 is the header; reader.line_num would count lines, not records.
    for number, values in enumerate(reader, start=2):
        if not "".join(values).strip():
            continue  # blank lines at the end of a spreadsheet export
        batch.append((number, values))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def already_imported(wave: Wave, source_ids: list[str]) -> set[str | None]:
    # One array parameter: a list of 50,000 IDs would pass PostgreSQL's 65,535 parameters
    # as an IN list.
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            return set(
                Response.objects.filter(wave=wave, source_id__in=source_ids).values_list(
                    "source_id", flat=True
                )
            )
        cursor.execute(
            "SELECT source_id FROM respondents_response WHERE wave_id = %s AND source_id = ANY(%s)",
            [wave.pk, source_ids],
        )
        return {source_id for (source_id,) in cursor.fetchall()}


def batch_source_ids(layout: Layout, batch: list[tuple[int, list[str]]]) -> list[str]:
    column = layout.header.index("source_id")
    # A row cut short before its source_id cell is refused for its width.
    return [values[column].strip() for _n, values in batch if column < len(values)]


def source_reasons(
    wave: Wave,
    layout: Layout,
    batch: list[tuple[int, list[str]]],
    tally: Tally,
    already: set[str | None] | None = None,
) -> list[list[str] | None]:
    """Each row's source_id problems, in file order (a repeat names the first row), or
    None for a row of the wrong width, which is refused for that alone. `already`: the
    batch's source_ids already in the wave, when the caller has looked them up."""
    column = layout.header.index("source_id")
    if already is None:
        already = already_imported(wave, batch_source_ids(layout, batch))
    found: list[list[str] | None] = []
    for number, values in batch:
        if len(values) != len(layout.header):
            found.append(None)
            continue
        reasons: list[str] = []
        _source_id(wave, values[column].strip(), number, already, tally, reasons)
        found.append(reasons)
    return found


def import_batch(
    wave: Wave, layout: Layout, batch: list[tuple[int, list[str]]], tally: Tally
) -> None:
    rows: list[Row] = []
    for (number, values), source in zip(
        batch, source_reasons(wave, layout, batch, tally), strict=True
    ):
        row, reasons = prepare_row(wave, layout, number, values, source, tally)
        if reasons:
            tally.errors.append(RowError(number, "; ".join(reasons)))
        elif row is not None:
            rows.append(row)
    rows = _attach_members(wave, rows, tally)
    try:
        with transaction.atomic():
            created = _create_members(wave, rows)
            Response.objects.bulk_create([row.response for row in rows])
            scrub_later([row.response.pk for row in rows])
        tally.imported += len(rows)
        tally.members_created += created
    except IntegrityError:
        # Another import of the same file ran alongside: find the clashing rows one by one.
        for row in rows:
            _insert_one(wave, row, tally)


def scrub_later(response_ids: list[int]) -> None:
    """Scrub-once: the imported free-text answers are scrubbed and stored in the background."""
    if response_ids:
        enqueue_on_commit(freetext_tasks.scrub_responses_task, response_ids)


def prepare_row(
    wave: Wave,
    layout: Layout,
    number: int,
    values: list[str],
    source: list[str] | None,
    tally: Tally,
) -> tuple[Row | None, list[str]]:
    """One row checked in full: its response, or the reasons it is refused. `source` is
    the row's source_id problems from source_reasons (None: the row has the wrong width)."""
    if source is None:
        return None, [ERROR_FIELD_COUNT.format(got=len(values), expected=len(layout.header))]
    cells = dict(zip(layout.header, (value.strip() for value in values), strict=True))
    reasons: list[str] = list(source)
    source_id = cells["source_id"]
    if not cells.get("started_at"):
        reasons.append(ERROR_STARTED_REQUIRED)
    started_at = timestamp_of(cells, "started_at", reasons)
    completed_at = timestamp_of(cells, "completed_at", reasons)
    if started_at and completed_at and completed_at < started_at:
        reasons.append(ERROR_COMPLETED_BEFORE)
    answers = _answers(
        layout.schema,
        cells,
        filled_entries(layout.roster_cells, cells),
        completed=completed_at is not None,
        reasons=reasons,
    )
    paradata = {
        "pages": page_times_of(layout.page_times, cells, reasons),
        "metadata": {},
        "imported": True,
    }
    channel = channel_of(wave, cells.get("channel", ""), reasons)
    language = language_of(layout.schema, cells.get("language", ""), reasons)
    if reasons or started_at is None:
        return None, reasons
    response = Response(
        wave=wave,
        channel=channel,
        language=language,
        status=ResponseStatus.COMPLETED if completed_at else ResponseStatus.ABANDONED,
        answers=answers,
        paradata=paradata,
        current_page=END_PAGE if completed_at else "",
        fingerprint=fingerprint_of(wave, cells.get("fingerprint", ""), tally),
        source_id=source_id,
        started_at=started_at,
        completed_at=completed_at,
    )
    key_hash = panel_key_hash(wave, cells.get("panel_key", ""))
    return Row(number, source_id, key_hash, response), []


def panel_key_hash(wave: Wave, key: str) -> str | None:
    return keyed_hash(f"panel_key:{wave.study_id}", key) if key else None


def panel_key_hashes(wave: Wave, keys: Sequence[str]) -> list[str | None]:
    """panel_key_hash of each key, the hash key prepared once."""
    hashes = keyed_hashes(f"panel_key:{wave.study_id}", keys)
    return [hashed if key else None for key, hashed in zip(keys, hashes, strict=True)]


def _source_id(
    wave: Wave,
    source_id: str,
    number: int,
    already: set[str | None],
    tally: Tally,
    reasons: list[str],
) -> str:
    if not source_id:
        reasons.append(ERROR_SOURCE_ID_EMPTY)
    elif len(source_id) > SOURCE_ID_MAX_LENGTH:
        reasons.append(ERROR_SOURCE_ID_LONG)
    elif source_id in tally.seen:
        # Before "already imported": an earlier batch of this file may have been stored
        # by now, or not yet (import_copy.py checks a chunk while the one before loads).
        reasons.append(
            ERROR_SOURCE_ID_REPEATED.format(source_id=source_id, row=tally.seen[source_id])
        )
    elif source_id in already:
        reasons.append(ERROR_SOURCE_ID_IMPORTED.format(source_id=source_id, wave=wave.pk))
    else:
        # Kept even if the row fails for another reason: a later row with this ID is a
        # repeat either way.
        tally.seen[source_id] = number
    return source_id


def timestamp_of(cells: dict[str, str], column: str, reasons: list[str]) -> datetime | None:
    text = cells.get(column, "")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        reasons.append(ERROR_TIMESTAMP.format(column=column, value=text[:QUOTED_VALUE_CHARS]))
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def page_times_of(
    page_times: dict[str, str], cells: dict[str, str], reasons: list[str]
) -> dict[str, dict[str, float | int]]:
    pages: dict[str, dict[str, float | int]] = {}
    for column, page in page_times.items():
        text = cells.get(column, "")
        if not text:
            continue
        try:
            seconds = float(text.replace(",", "."))
        except ValueError:
            seconds = -1.0
        if not math.isfinite(seconds) or seconds < 0:
            reasons.append(ERROR_SECONDS.format(column=column, value=text[:QUOTED_VALUE_CHARS]))
            continue
        pages[page] = {"seconds": round(seconds, 3), "visits": 1}
    return pages


def channel_of(wave: Wave, text: str, reasons: list[str]) -> str:
    if not text:
        return ""
    try:
        return validate_channel(wave, text)
    except ValidationError as exc:
        reasons.append(ERROR_CHANNEL.format(problem=" ".join(exc.messages)))
        return ""


def language_of(schema: FormSchema, text: str, reasons: list[str]) -> str:
    if not text:
        return schema.source_language
    if text not in schema.languages:
        reasons.append(
            ERROR_LANGUAGE.format(
                value=text[:QUOTED_VALUE_CHARS], languages=", ".join(schema.languages)
            )
        )
    return text


def fingerprints_of(wave: Wave, texts: Sequence[str], tally: Tally) -> list[str]:
    """fingerprint_of each text, the wave's key decrypted once."""
    fingerprints = imported_fingerprints(wave, texts)
    if fingerprints is None:
        if any(texts):
            tally.notes.add(FINGERPRINTS_DROPPED)
        return ["" for _ in texts]
    return fingerprints


def fingerprint_of(wave: Wave, text: str, tally: Tally) -> str:
    if not text:
        return ""
    fingerprint = imported_fingerprint(wave, text)
    if fingerprint is None:
        tally.notes.add(FINGERPRINTS_DROPPED)
        return ""
    return fingerprint


def raw_answer(question: FormQuestion, text: str) -> list[str]:
    if not text:
        return []
    if question.type == QuestionType.SELECT_MULTIPLE:
        return text.split()
    return [text]


def _choice_problem(question: FormQuestion, values: list[str], *, column: str = "") -> str:
    names = {choice.name for choice in question.choices}
    bad = [value for value in values if value not in names]
    if question.type == QuestionType.SELECT_ONE and len(values) > 1:
        bad = bad or values
    if not bad:
        return ""
    quoted = ", ".join(repr(value[:QUOTED_VALUE_CHARS]) for value in bad)
    return ERROR_CHOICE.format(
        column=column or question.name,
        values=f"{quoted} {'is' if len(bad) == 1 else 'are'}",
        choice_list=question.choice_list,
    )


def raw_page(page: FormPage, cells: dict[str, str]) -> dict[str, list[str]]:
    """The page's cells as the web form would post them."""
    raw: dict[str, list[str]] = {}
    for question in page.questions:
        if not question.is_asked:
            continue
        raw[question.name] = raw_answer(question, cells.get(question.name, ""))
        if question.other_choice:
            raw[question.other_name] = raw_answer(question, cells.get(question.other_name, ""))
    return raw


def _answers(
    schema: FormSchema,
    cells: dict[str, str],
    rosters: dict[str, dict[int, dict[str, str]]],
    *,
    completed: bool,
    reasons: list[str],
) -> dict[str, object]:
    """The row's typed answers, checked page by page in order as the web form does;
    `rosters` holds the filled entries of the rosters whose columns the file has."""
    answers: dict[str, object] = {}
    # After a bad answer, `relevant` is computed without it: "hidden" would be a false echo.
    judge_hidden = True
    for page in schema.pages:
        if page.repeat is not None:
            if page.name in rosters:
                posted = posted_entries(page, rosters[page.name], raw_answer)
                judge_hidden = roster_answers(
                    schema, page, posted, answers, completed, reasons, judge_hidden
                )
            continue
        raw = raw_page(page, cells)
        if not page_is_relevant(page, answers):
            if judge_hidden:
                reasons.extend(ERROR_HIDDEN.format(column=k) for k, value in raw.items() if value)
            continue
        check = check_page(
            schema, page, raw, answers, language=MESSAGE_LANGUAGE, enforce_required=completed
        )
        reasons.extend(
            _answer_problem(q, raw[q.name], check.errors)
            for q in page.questions
            if q.name in check.errors
        )
        judge_hidden = judge_hidden and not check.errors
        if judge_hidden:
            reasons.extend(
                ERROR_HIDDEN.format(column=q.name)
                for q in page.questions
                if q.is_asked and q.name not in check.visible and raw[q.name]
            )
        answers.update({name: value for name, value in check.values.items() if value is not None})
    return answers


def _answer_problem(
    question: FormQuestion, values: list[str], errors: dict[str, str], *, key: str = ""
) -> str:
    """The reason for the answer to `question`, whose error is `errors[key]` (key: the
    posted field, by default the item's name, which is also its column)."""
    key = key or question.name
    column = column_of(key) if SEPARATOR in key else key
    if question.type in (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE) and values:
        problem = _choice_problem(question, values, column=column)
        if problem:
            return problem
    message = errors[key]
    if values and question.type != QuestionType.TEXT:
        message = f"{values[0][:QUOTED_VALUE_CHARS]!r}: {message}"
    return ERROR_ANSWER.format(column=column, problem=message)


def roster_answers(
    schema: FormSchema,
    page: FormPage,
    posted: dict[str, list[str]],
    answers: dict[str, object],
    completed: bool,
    reasons: list[str],
    judge_hidden: bool,
) -> bool:
    """A roster's entries, stored in `answers` or refused in `reasons`, as _answers does a
    page; returns whether later hidden answers can still be judged. The COPY path calls it
    too, per row (import_copy.with_rosters)."""
    reading = read_roster(
        schema, page, posted, answers, completed=completed, language=MESSAGE_LANGUAGE
    )
    check = reading.check
    if check is None:
        if reading.problem:
            reasons.append(reading.problem)
        elif judge_hidden:
            reasons.extend(ERROR_HIDDEN.format(column=column_of(k)) for k, v in posted.items() if v)
        return judge_hidden and not reading.problem
    questions = {q.name: q for q in page.questions}
    for key, message in check.errors.items():
        if key == page.name:
            reasons.append(message)
            continue
        question = questions[key.rsplit(SEPARATOR, 1)[-1]]
        reasons.append(_answer_problem(question, posted.get(key, []), check.errors, key=key))
    judge_hidden = judge_hidden and not check.errors
    if judge_hidden:
        # As on a page: an item hidden but answered; an "other, specify" text whose choice
        # was not taken is dropped by check_page, not refused.
        reasons.extend(
            ERROR_HIDDEN.format(column=column_of(key))
            for key, value in posted.items()
            if value and key not in check.visible and key.rsplit(SEPARATOR, 1)[-1] in questions
        )
    entries = stored_entries(page, reading, completed=completed)
    if entries is not None:
        answers[page.name] = entries
    return judge_hidden


def _attach_members(wave: Wave, rows: list[Row], tally: Tally) -> list[Row]:
    """Link rows to existing members; rows of withdrawn members are rejected."""
    hashes = {row.panel_key_hash for row in rows if row.panel_key_hash}
    members = {
        member.panel_key_hash: member
        for member in PanelMember.objects.filter(study_id=wave.study_id, panel_key_hash__in=hashes)
    }
    kept: list[Row] = []
    for row in rows:
        member = members.get(row.panel_key_hash) if row.panel_key_hash else None
        if member is not None and member.status == MemberStatus.WITHDRAWN:
            tally.errors.append(RowError(row.number, ERROR_WITHDRAWN))
            continue
        row.response.member = member
        kept.append(row)
    return kept


def _new_member(wave: Wave, key_hash: str) -> PanelMember:
    return PanelMember(
        study_id=wave.study_id,
        pseudonym=new_pseudonym(),
        panel_key_hash=key_hash,
        recruited_in=wave,
    )


def _create_members(wave: Wave, rows: list[Row]) -> int:
    """Create a member for each new panel key (once, however many rows carry it)."""
    missing = {
        row.panel_key_hash: row
        for row in rows
        if row.panel_key_hash and row.response.member is None
    }
    created = {
        member.panel_key_hash: member
        for member in PanelMember.objects.bulk_create(
            [_new_member(wave, key_hash) for key_hash in missing]
        )
    }
    for row in rows:
        if row.panel_key_hash in created:
            row.response.member = created[row.panel_key_hash]
    return len(created)


def _insert_one(wave: Wave, row: Row, tally: Tally) -> None:
    try:
        with transaction.atomic():
            created = 0
            # Resolved again: members made by the rolled-back batch do not exist.
            if row.panel_key_hash:
                member, was_created = PanelMember.objects.get_or_create(
                    study_id=wave.study_id,
                    panel_key_hash=row.panel_key_hash,
                    defaults={"pseudonym": new_pseudonym(), "recruited_in": wave},
                )
                row.response.member, created = member, int(was_created)
            row.response.pk = None
            row.response.save()
            scrub_later([row.response.pk])
    except IntegrityError:
        tally.errors.append(
            RowError(
                row.number, ERROR_SOURCE_ID_IMPORTED.format(source_id=row.source_id, wave=wave.pk)
            )
        )
        return
    tally.imported += 1
    tally.members_created += created
