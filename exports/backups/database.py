"""The database half of a backup: a consistent snapshot, row counts, and loading a snapshot
into an empty database, for PostgreSQL (pg_dump's custom format) and SQLite (its backup API).

Talks to the database directly rather than through Django's connection: the PostgreSQL
snapshot must be one exported transaction shared with pg_dump, and a restore target is not
one of Django's configured databases.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from exports.backups.errors import BackupError

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
DUMP_NAMES = {POSTGRESQL: "database.pgdump", SQLITE: "database.sqlite3"}
# Django's backend module names.
ENGINES = {"postgresql": POSTGRESQL, "sqlite3": SQLITE}
# A tool that hangs (a lock never granted) must not hold the nightly task for ever.
TOOL_TIMEOUT_SECONDS = 6 * 3600

ERROR_ENGINE = "backups support PostgreSQL and SQLite, not {engine}"
ERROR_TOOL_MISSING = "{tool} is not installed (Debian: apt-get install postgresql-client)"
ERROR_TOOL_FAILED = "{tool} failed: {error}"
ERROR_NOT_EMPTY = (
    "the database {name} is not empty ({tables} tables); restore only into an empty one"
)


@dataclass(frozen=True)
class Database:
    """Where a database is: Django's settings dictionary shape (ENGINE, NAME, USER, ...)."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_settings(cls, config: dict[str, Any]) -> Database:
        backend = str(config["ENGINE"]).rsplit(".", 1)[-1]
        if backend not in ENGINES:
            raise BackupError(ERROR_ENGINE.format(engine=backend))
        return cls(
            engine=ENGINES[backend],
            name=str(config["NAME"]),
            user=str(config.get("USER") or ""),
            password=str(config.get("PASSWORD") or ""),
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
        )

    def conninfo(self, *, dbname: str | None = None) -> str:
        # Without the password: it reaches the tools through PGPASSWORD, never their argv.
        parts = {
            "dbname": dbname or self.name,
            "user": self.user,
            "host": self.host,
            "port": self.port,
        }
        return make_conninfo(**{key: value for key, value in parts.items() if value})

    def tool_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.conninfo(), password=self.password or None, autocommit=autocommit
        )


@dataclass(frozen=True)
class Snapshot:
    dump: Path
    tables: dict[str, int]
    migrations: dict[str, list[str]]
    # Paths under MEDIA_ROOT of the exports that were complete at the snapshot.
    export_files: list[str]


def take_snapshot(source: Database, workdir: Path, *, export_table: str) -> Snapshot:
    dump = workdir / DUMP_NAMES[source.engine]
    if source.engine == POSTGRESQL:
        return _postgres_snapshot(source, dump, export_table)
    return _sqlite_snapshot(source, dump, export_table)


def _postgres_snapshot(source: Database, dump: Path, export_table: str) -> Snapshot:
    # One REPEATABLE READ transaction is the snapshot: pg_dump joins it (--snapshot), and the
    # counts and the list of export files are read in it, so all three agree while
    # respondents keep writing (pg_dump takes only ACCESS SHARE locks).
    with closing(source.connect()) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None  # noqa: S101 (the function always returns a row)
        tables = _postgres_counts(conn)
        migrations = _migrations(
            conn.execute("SELECT app, name FROM django_migrations ORDER BY id")
        )
        files = _export_files(
            conn.execute(
                sql.SQL("SELECT files FROM {} WHERE status = 'done'").format(
                    sql.Identifier(export_table)
                )
            )
        )
        _run_tool(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={row[0]}",
                "--no-owner",
                "--no-privileges",
                f"--file={dump}",
                f"--dbname={source.conninfo()}",
            ],
            env=source.tool_env(),
        )
        conn.rollback()
    return Snapshot(dump=dump, tables=tables, migrations=migrations, export_files=files)


def _sqlite_snapshot(source: Database, dump: Path, export_table: str) -> Snapshot:
    # The backup API copies the pages of one read transaction: writers in WAL mode go on.
    with closing(_sqlite_source(source)) as live, closing(sqlite3.connect(dump)) as copy:
        live.backup(copy)
    with closing(sqlite3.connect(dump)) as copy:
        tables = _sqlite_counts(copy)
        migrations = _migrations(
            copy.execute("SELECT app, name FROM django_migrations ORDER BY id")
        )
        files = _export_files(
            copy.execute(f"SELECT files FROM \"{export_table}\" WHERE status = 'done'")  # noqa: S608 (a model's table name)
        )
    return Snapshot(dump=dump, tables=tables, migrations=migrations, export_files=files)


def _sqlite_source(source: Database) -> sqlite3.Connection:
    # Django's in-memory test databases are shared-cache URIs; files open by path.
    if source.name.startswith("file:"):
        return sqlite3.connect(source.name, uri=True)
    return sqlite3.connect(source.name)


def _migrations(rows: Any) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(str(app), []).append(str(name))
    return applied


def _export_files(rows: Any) -> list[str]:
    files: list[str] = []
    for (value,) in rows:
        listed = json.loads(value) if isinstance(value, str) else value
        files.extend(str(path) for path in listed or [])
    return sorted(set(files))


def row_counts(database: Database) -> dict[str, int]:
    if database.engine == POSTGRESQL:
        with closing(database.connect(autocommit=True)) as conn:
            return _postgres_counts(conn)
    with closing(_sqlite_source(database)) as conn:
        return _sqlite_counts(conn)


def _postgres_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    names = [
        str(name)
        for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    ]
    counts = {}
    for name in names:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
        ).fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        str(name)
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        )
    ]
    return {
        name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # noqa: S608 (a table name read from the catalogue)
        for name in names
    }


def ensure_empty(target: Database) -> None:
    """Refuse a target that holds any table: a restore never merges into existing data."""
    if target.engine == POSTGRESQL:
        with closing(target.connect(autocommit=True)) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchone()
            tables = int(row[0]) if row else 0
    else:
        path = Path(target.name)
        if not path.exists() or path.stat().st_size == 0:
            return
        with closing(sqlite3.connect(path)) as conn:
            tables = len(_sqlite_counts(conn))
    if tables:
        raise BackupError(ERROR_NOT_EMPTY.format(name=target.name, tables=tables))


def load_snapshot(dump: Path, target: Database) -> None:
    """Load a snapshot into an empty target, all or nothing."""
    if target.engine == POSTGRESQL:
        # One transaction: a failure part-way leaves the target as empty as it was.
        _run_tool(
            [
                "pg_restore",
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={target.conninfo()}",
                str(dump),
            ],
            env=target.tool_env(),
        )
        return
    path = Path(target.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.restoring")
    shutil.copyfile(dump, staged)
    os.replace(staged, path)


@contextmanager
def scratch_database(like: Database, workdir: Path) -> Iterator[Database]:
    """An empty database beside `like` (PostgreSQL: same server; SQLite: a file in
    workdir), dropped afterwards."""
    if like.engine == SQLITE:
        yield Database(engine=SQLITE, name=str(workdir / "scratch.sqlite3"))
        return
    name = f"{like.name}_verify_{os.urandom(4).hex()}"[:63]
    with closing(like.connect(autocommit=True)) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Database(
            engine=POSTGRESQL,
            name=name,
            user=like.user,
            password=like.password,
            host=like.host,
            port=like.port,
        )
    finally:
        with closing(like.connect(autocommit=True)) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _run_tool(argv: list[str], *, env: dict[str, str]) -> None:
    tool = argv[0]
    if shutil.which(tool) is None:
        raise BackupError(ERROR_TOOL_MISSING.format(tool=tool))
    try:
        done = subprocess.run(  # noqa: S603 (fixed argv, no shell)
            argv, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BackupError(ERROR_TOOL_FAILED.format(tool=tool, error="timed out")) from exc
    if done.returncode != 0:
        error = " ".join(done.stderr.split())[:500] or f"exit status {done.returncode}"
        raise BackupError(ERROR_TOOL_FAILED.format(tool=tool, error=error))
