"""A respondent's page requests touch neither the session nor the user: the session table
is read and rewritten only where a page uses it (the open link's resume offer), not on
every page of the form (SESSION_SAVE_EVERY_REQUEST would otherwise write it each time)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.respondents.form_helpers import (
    GOOD_PAGES,
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
