"""A respondent's page requests touch neither the session nor the user: the session table
is read and rewritten only where a page uses it (the open link's resume offer), not on
every page of the form (SESSION_SAVE_EVERY_REQUEST would otherwise write it each time)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.respondents.form_helpers import (
    GOOD_PAGES,
    answer_pages,
    hidden_value,
    make_wave,
    page_post,
    start_open,
)

pytestmark = pytest.mark.django_db


def test_page_get_and_post_run_no_session_or_user_query(client):
    # given a respondent past consent, holding the session cookie the open link set
    wave = make_wave()
    url = start_open(client, wave)
    assert client.cookies.get("sessionid")

    # when they load a page and post it
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
        html = page.content.decode()
        posted = client.post(url, page_post(html, GOOD_PAGES[hidden_value(html, "_pw_page")]))

    # then the page flow works and no query read or wrote the session or a user
    assert (page.status_code, posted.status_code) == (200, 303)
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "django_session" not in tables
    assert "auth_user" not in tables


def _statements(queries: CaptureQueriesContext) -> list[str]:
    # The test's own transaction turns the view's into savepoints: not the view's work.
    return [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_page_post_reads_the_response_once_locked_and_writes_it_once(client):
    # given a respondent on the first page of a form whose free-text keys the page checks
    wave = make_wave()
    url = start_open(client, wave)
    html = client.get(url).content.decode()
    answers = page_post(html, GOOD_PAGES[hidden_value(html, "_pw_page")])

    # when they post the page
    with CaptureQueriesContext(connection) as queries:
        posted = client.post(url, answers)

    # then one SELECT ... FOR UPDATE by token found and locked the response (no second read
    # by id), the form's questions came from the cached schema, and one UPDATE saved it
    assert posted.status_code == 303
    statements = _statements(queries)
    assert len(statements) == 2, statements
    read, write = statements
    assert read.startswith("SELECT")
    assert "FOR UPDATE" in read
    assert "resume_token_hash" in read
    assert write.startswith('UPDATE "respondents_response"')


def test_page_get_is_one_query(client):
    # given a respondent past consent
    wave = make_wave()
    url = start_open(client, wave)
    client.get(url)

    # when they load their page again
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)

    # then one SELECT by token (with its wave, study, version and member) is all it takes
    assert page.status_code == 200
    statements = _statements(queries)
    assert len(statements) == 1, statements
    assert "FOR UPDATE" not in statements[0]


def test_end_page_asks_whether_the_response_is_linked_once(client):
    # given an open-link respondent who has answered every page
    wave = make_wave()
    url = start_open(client, wave)
    answer_pages(client, url, GOOD_PAGES)

    # when they load the end page
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)

    # then it offers to connect earlier answers (so it did ask), reading the links once:
    # the page shows the answer and decides the offer by it
    assert page.status_code == 200
    assert "/before/" in page.content.decode()
    link_reads = [sql for sql in _statements(queries) if "respondents_responselink" in sql]
    assert len(link_reads) == 1, link_reads


def _reads_from(statements: list[str], table: str) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT") and f'FROM "{table}"' in sql]


def test_consent_page_and_start_read_the_wave_once(client):
    # given an open wave whose link a respondent opens, after another respondent did
    # (the form's schema is cached by then, as in fieldwork)
    wave = make_wave()
    start_open(Client(), wave)

    # when they load the consent page and consent
    with CaptureQueriesContext(connection) as shown:
        consent = client.get(f"/s/{wave.slug}/")
    with CaptureQueriesContext(connection) as posted:
        started = client.post(f"/s/{wave.slug}/", {"website": ""})

    # then each read the wave, with its study and version, in one statement by slug, and
    # nothing the page or the start uses was left for a second read
    assert (consent.status_code, started.status_code) == (200, 303)
    for queries in (shown, posted):
        statements = _statements(queries)
        waves = _reads_from(statements, "respondents_wave")
        assert len(waves) == 1, statements
        assert "surveys_study" in waves[0]
        assert "surveys_questionnaireversion" in waves[0]
        assert not _reads_from(statements, "surveys_study"), statements
        assert not _reads_from(statements, "surveys_questionnaireversion"), statements
