"""The embedded default's half of backups: SQLite's backup API takes a copy while a writer
holds the database open, and a copy loads only into an empty file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from exports.backups import database
from exports.backups.database import Database
from exports.backups.errors import BackupError


def _live(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(
        """
        CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT);
        INSERT INTO django_migrations (app, name) VALUES ('surveys', '0001_initial'),
            ('exports', '0001_initial');
        CREATE TABLE exports_exportjob (id INTEGER PRIMARY KEY, status TEXT, files TEXT);
        INSERT INTO exports_exportjob (status, files) VALUES
            ('done', '["exports/1/data.csv"]'), ('queued', '[]'),
            ('expired', '["exports/3/old.csv"]');
        CREATE TABLE answers (id INTEGER PRIMARY KEY, value TEXT);
        """
    )
    conn.executemany("INSERT INTO answers (value) VALUES (?)", [("a",)] * 50)
    conn.commit()
    return conn


def test_a_sqlite_snapshot_is_taken_while_a_writer_has_uncommitted_rows(tmp_path):
    # given: a writer in the middle of a transaction
    live = _live(tmp_path / "db.sqlite3")
    live.execute("INSERT INTO answers (value) VALUES ('uncommitted')")
    work = tmp_path / "work"
    work.mkdir()
    source = Database(engine=database.SQLITE, name=str(tmp_path / "db.sqlite3"))

    # when
    snap = database.take_snapshot(source, work, export_table="exports_exportjob")
    live.rollback()
    live.close()

    # then: committed rows only, the done export's files, the migrations
    assert snap.tables == {"answers": 50, "django_migrations": 2, "exports_exportjob": 3}
    assert snap.export_files == ["exports/1/data.csv"]
    assert snap.migrations == {"surveys": ["0001_initial"], "exports": ["0001_initial"]}

    # and: it loads into an empty file with the same counts, and not over a full one
    target = Database(engine=database.SQLITE, name=str(tmp_path / "restored" / "db.sqlite3"))
    database.ensure_empty(target)
    database.load_snapshot(snap.dump, target)
    assert database.row_counts(target) == snap.tables
    with pytest.raises(BackupError, match="is not empty"):
        database.ensure_empty(target)
    with closing(sqlite3.connect(target.name)) as conn:
        assert conn.execute("SELECT count(*) FROM answers WHERE value = 'a'").fetchone() == (50,)
