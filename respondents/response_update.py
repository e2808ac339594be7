"""Saving a page's columns of a response by one UPDATE statement written once per set of
columns (respondents/services/responses.py's page submit is its caller).

Why not `Model.save(update_fields=...)`: every page POST saves the same columns, and Django
compiled the UPDATE afresh each time (the save machinery, signals looked up, the query
compiler), about half of a page save's time in the profile of bench/submit.py. Here the
statement text is fixed per column set, so psycopg prepares it on the server after a few
uses, and the values are prepared for the database exactly as the ORM prepares them
(each field's `pre_save`, which stamps `updated_at`, then `get_db_prep_save`). Response has
no save signals or overridden save() to bypass.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Field

from respondents.models import Response


@cache
def _statement(names: tuple[str, ...]) -> tuple[str, tuple[Field[object, object], ...]]:
    meta = Response._meta
    fields = tuple(meta.get_field(name) for name in names)
    assignments = ", ".join(f'"{field.column}" = %s' for field in fields)  # type: ignore[union-attr]
    # Names from the model, the values and the id as parameters.
    statement = f'UPDATE "{meta.db_table}" SET {assignments} WHERE "{meta.pk.column}" = %s'  # noqa: S608
    return statement, fields  # type: ignore[return-value]


def save_columns(response: Response, names: Sequence[str]) -> None:
    """Write these columns of an existing response, as `save(update_fields=names)` does;
    DatabaseError if its row is gone (as that save raises)."""
    connection = connections[DEFAULT_DB_ALIAS]
    statement, fields = _statement(tuple(names))
    values = [
        field.get_db_prep_save(field.pre_save(response, add=False), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*values, response.pk])
        updated = cursor.rowcount
    if updated != 1:
        raise DatabaseError("Save with update_fields did not affect any rows.")
