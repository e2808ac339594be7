"""`AnyOf(F("field"), ids)`: a filter on a long list of ids passed as one parameter.

`field__in=ids` writes one placeholder per id; with the thousands of ids of an export batch,
building and parsing that statement (in Django and in psycopg) cost more than running it.
This sends the list as a single array (`= ANY(%s)` on PostgreSQL, a JSON array read by
`json_each` on SQLite). Use it as a filter expression: `Model.objects.filter(AnyOf(...))`.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup
from django.db.models.sql.compiler import SQLCompiler


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [int(v) for v in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        # lhs is the compiled column; the ids are a parameter.
        sqlite = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sqlite, [*lhs_params, json.dumps(values)]
