"""Keys, an empty PostgreSQL database to restore into, and respondents answering through
a real server, for the backup tests."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyrage
from django.db import connection
from psycopg import sql

from exports.backups.database import Database
from tests.respondents.form_helpers import GOOD_PAGES


@dataclass(frozen=True)
class AgeKeys:
    recipient: str
    identity_file: Path


def make_age_keys(directory: Path, name: str = "backup") -> AgeKeys:
    identity = pyrage.x25519.Identity.generate()
    path = directory / f"{name}.key"
    path.write_text(f"# created: for the test\n{identity}\n")
    return AgeKeys(recipient=str(identity.to_public()), identity_file=path)


def source_database() -> Database:
    return Database.from_settings(connection.settings_dict)


@contextmanager
def empty_postgres(suffix: str) -> Iterator[Database]:
    """A new, empty database on the test server, dropped afterwards."""
    source = source_database()
    name = f"{source.name}_{suffix}"
    with closing(source.connect(autocommit=True)) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = Database(
        engine=source.engine,
        name=name,
        user=source.user,
        password=source.password,
        host=source.host,
        port=source.port,
    )
    try:
        yield target
    finally:
        with closing(source.connect(autocommit=True)) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def query(database: Database, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(psycopg.connect(database.conninfo(), password=database.password or None)) as conn:
        return list(conn.execute(statement, params))


def table_count(database: Database) -> int:
    rows = query(database, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
    return int(rows[0][0])


def database_names_like(pattern: str) -> list[str]:
    source = source_database()
    rows = query(source, "SELECT datname FROM pg_database WHERE datname LIKE %s", pattern)
    return [str(name) for (name,) in rows]


class Browser:
    """A cookie-keeping HTTP client without JavaScript, as a respondent's phone would be."""

    def __init__(self, number: int) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.headers = {"User-Agent": f"respondent-{number}", "Accept-Language": "en"}

    def get(self, url: str) -> tuple[str, str]:
        request = urllib.request.Request(url, headers=self.headers)  # noqa: S310 (http only)
        with self.opener.open(request, timeout=60) as reply:
            return reply.geturl(), reply.read().decode()

    def post(self, url: str, fields: list[tuple[str, str]]) -> tuple[str, str]:
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(url, data=body, headers=self.headers)  # noqa: S310
        with self.opener.open(request, timeout=60) as reply:
            return reply.geturl(), reply.read().decode()


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def respond(base: str, slug: str, number: int) -> None:
    """One respondent through every page of the open link, comment 'respondent N'."""
    browser = Browser(number)
    _url, consent = browser.get(f"{base}/s/{slug}/?src=tg")
    url, html = browser.post(
        f"{base}/s/{slug}/?src=tg",
        [("csrfmiddlewaretoken", _field(consent, "csrfmiddlewaretoken"))],
    )
    while "_pw_page" in html:
        page = _field(html, "_pw_page")
        fields = [
            (name, _field(html, name)) for name in ("csrfmiddlewaretoken", "_pw_page", "_pw_step")
        ]
        fields += [
            ("_pw_shown", name) for name in re.findall(r'name="_pw_shown" value="([^"]*)"', html)
        ]
        answers = {
            **GOOD_PAGES[page],
            **({"comment": [f"respondent {number}"]} if page == "views" else {}),
        }
        fields += [(name, value) for name, values in answers.items() for value in values]
        url, html = browser.post(url, [*fields, ("_pw_action", "next")])
    assert "Thank you!" in html
