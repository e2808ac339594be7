"""The response a resume-token hash opens, with its wave, study, version and member, read
by one narrow SQL statement written once per process (respondents/tokens.py is its only
caller, as the one place a token is resolved).

Why not the ORM: every respondent page runs this lookup, and Django compiled the same
five-table `select_related` join afresh each time (about 3 ms of a 7 ms lookup in the
profile of bench/submit.py), selecting every column of all five tables, the study's consent
texts and the version's settings included. Here the statement text never changes, so
psycopg prepares it on the server after a few uses (server-side binding,
config/settings.py), and only the columns a respondent page reads are selected. A column
left out is a deferred field of the instance: reading it works, at one more query, so a
page that needs more is slower, never wrong (tests/respondents/test_page_queries.py
counts the queries of the pages the form goes through).

The instances are built as the ORM builds them (`Model.from_db`, the fields' database
converters, the related objects cached on the response), so the rest of the code cannot
tell them from a queryset's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.db.models.expressions import Col
from django.db.transaction import TransactionManagementError

from respondents.models import PanelMember, Response, Wave
from surveys.models import QuestionnaireVersion, Study

# Columns left out are never read on a respondent page: the response's import and
# fingerprint fields, the wave's fingerprint key (a secret, kept out of every page's
# memory) and cleaning settings, the study's consent text (the consent page reads the
# wave's study through its own query) and analysis fields, the version's content.
RESPONSE_FIELDS = (
    "id",
    "wave_id",
    "member_id",
    "invitation_id",
    "language",
    "status",
    "answers",
    "paradata",
    "current_page",
    "resume_token_hash",
    "honeypot_filled",
    "started_at",
    "completed_at",
    "updated_at",
)
WAVE_FIELDS = ("id", "study_id", "version_id", "name", "slug", "state", "opens_at", "closes_at")
STUDY_FIELDS = (
    "id",
    "slug",
    "title",
    "title_translations",
    "languages",
    "default_language",
    "neutral_title",
    "leave_url",
)
VERSION_FIELDS = ("id", "status", "source_language", "published_at")
MEMBER_FIELDS = ("id", "study_id", "status", "recruited_in_id", "preferred_language")

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class Part:
    """One table of the statement: its model, alias and selected columns (in the model's
    field order, as `Model.from_db` wants them)."""

    model: type[Model]
    alias: str
    attnames: tuple[str, ...]

    @classmethod
    def of(cls, model: type[Model], alias: str, wanted: Sequence[str]) -> Part:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname in wanted]
        missing = set(wanted) - set(fields)
        # A renamed model field must fail loudly at the first lookup, not defer silently.
        if missing:
            raise LookupError(f"{model.__name__} has no columns {sorted(missing)}")
        return cls(model, alias, tuple(fields))

    def columns(self) -> list[str]:
        names = {f.attname: f.column for f in self.model._meta.concrete_fields}
        return [f'{self.alias}."{names[attname]}"' for attname in self.attnames]


@cache
def _parts() -> tuple[Part, ...]:
    return (
        Part.of(Response, "r", RESPONSE_FIELDS),
        Part.of(Wave, "w", WAVE_FIELDS),
        Part.of(Study, "s", STUDY_FIELDS),
        Part.of(QuestionnaireVersion, "v", VERSION_FIELDS),
        Part.of(PanelMember, "m", MEMBER_FIELDS),
    )


def select_list(parts: tuple[Part, ...]) -> tuple[str, dict[str, str]]:
    """The parts' columns as one SELECT list, in order, and each alias's table name."""
    columns = ", ".join(column for part in parts for column in part.columns())
    return columns, {part.alias: part.model._meta.db_table for part in parts}


@cache
def _statement(lock_clause: str) -> str:
    columns, table = select_list(_parts())
    # Names from the models, the token hash as a parameter.
    return (
        f"SELECT {columns} "  # noqa: S608
        f'FROM "{table["r"]}" r '
        f'JOIN "{table["w"]}" w ON w."id" = r."wave_id" '
        f'JOIN "{table["s"]}" s ON s."id" = w."study_id" '
        f'JOIN "{table["v"]}" v ON v."id" = w."version_id" '
        f'LEFT JOIN "{table["m"]}" m ON m."id" = r."member_id" '
        f'WHERE r."resume_token_hash" = %s{lock_clause}'
    )


@cache
def _converters(
    parts: tuple[Part, ...], alias: str
) -> tuple[tuple[Col, tuple[Converter, ...]], ...]:
    """Per selected column, what the ORM would apply to its database value (JSON decoding
    everywhere; dates and booleans too on SQLite), as the compiler finds them."""
    connection = connections[alias]
    converters = []
    for part in parts:
        for attname in part.attnames:
            column = part.model._meta.get_field(attname).get_col(part.alias)  # type: ignore[union-attr]
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converters.append((column, tuple(found)))
    return tuple(converters)


def read_instances(
    parts: tuple[Part, ...], statement: str, params: Sequence[Any], alias: str = DEFAULT_DB_ALIAS
) -> list[Model | None] | None:
    """The first row of `statement` (selecting the parts' columns in order) as one instance
    per part, built as the ORM builds them (None for a part whose id is NULL, as a LEFT
    JOIN gives); None if there is no row."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, (column, converters) in enumerate(_converters(parts, alias)):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return _instances(parts, values, alias)


def _lock_clause(alias: str) -> str:
    connection = connections[alias]
    # A lock outside a transaction would end with the statement: refuse it, as the ORM does.
    if connection.get_autocommit():
        raise TransactionManagementError("locking a response requires a transaction")
    # of r: locking the joined wave, study and version rows too would queue every
    # respondent of the wave (and a cleaning run writing flags) on those rows.
    if connection.features.has_select_for_update_of:
        return " FOR UPDATE OF r"
    # SQLite has no row locks: its transactions take the database's write lock.
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def response_by_token_hash(token_hash: str, *, lock: bool = False) -> Response | None:
    """The response whose resume token hashes to `token_hash`, its wave (with study and
    version) and member cached on it; None if there is none. With `lock` (inside a
    transaction) the response row, and only it, is locked FOR UPDATE."""
    alias = DEFAULT_DB_ALIAS
    statement = _statement(_lock_clause(alias) if lock else "")
    found = read_instances(_parts(), statement, [token_hash], alias)
    if found is None:
        return None
    response, wave, study, version, member = found
    cache_related(Wave, wave, "study", study)
    cache_related(Wave, wave, "version", version)
    cache_related(Response, response, "wave", wave)
    cache_related(Response, response, "member", member)
    assert isinstance(response, Response)  # noqa: S101 (the first part is the response)
    return response


def _instances(parts: tuple[Part, ...], values: list[Any], alias: str) -> list[Model | None]:
    instances: list[Model | None] = []
    start = 0
    for part in parts:
        own = values[start : start + len(part.attnames)]
        start += len(part.attnames)
        # The LEFT JOIN of a response without a member gives a row of NULLs.
        is_absent = own[0] is None
        instances.append(None if is_absent else part.model.from_db(alias, part.attnames, own))
    return instances


def cache_related(
    model: type[Model], instance: Model | None, name: str, related: Model | None
) -> None:
    assert instance is not None  # noqa: S101 (only the member may be absent)
    model._meta.get_field(name).set_cached_value(instance, related)  # type: ignore[union-attr]
