"""The same page submitted twice at the same moment (a double tap on a slow phone, or a
proxy retrying a POST) through a real server on PostgreSQL: one answer set is stored and
the form moves on by one page (respondents/services/responses.py locks the row
and checks the page and step the form was rendered with)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from respondents.models import Response
from tests.conftest import postgres_only
from tests.respondents.form_helpers import GOOD_PAGES, make_wave, page_post, start_open

SIMULTANEOUS = 4

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def test_the_same_page_posted_at_the_same_moment_stores_one_answer_set(live_server):
    # given: a respondent on the first page, with its form rendered once
    wave = make_wave()
    client = Client()
    url = start_open(client, wave)
    html = client.get(url).content.decode()
    fields = page_post(html, GOOD_PAGES["about"])
    body = urllib.parse.urlencode(fields, doseq=True).encode()
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    start = threading.Barrier(SIMULTANEOUS)

    def post() -> int:
        request = urllib.request.Request(  # noqa: S310 (http to the test server only)
            f"{live_server.url}{url}", data=body, headers={"Cookie": cookies}
        )
        opener = urllib.request.build_opener(_NoRedirect)
        start.wait(timeout=10)
        try:
            with opener.open(request, timeout=30) as reply:
                return int(reply.status)
        except urllib.error.HTTPError as redirect:
            return int(redirect.code)

    # when
    with ThreadPoolExecutor(max_workers=SIMULTANEOUS) as pool:
        statuses = list(pool.map(lambda _: post(), range(SIMULTANEOUS)))

    # then: every copy is answered with a redirect to the next page, and one set is stored
    assert statuses == [303] * SIMULTANEOUS
    response = Response.objects.get()
    assert response.answers == {
        "age": 34,
        "country": "other",
        "country_other": "Serbia",
        "has_children": "yes",
    }
    assert response.current_page == "children"
    assert response.paradata["nav"]["step"] == 2
    assert response.paradata["pages"]["about"]["visits"] == 1


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
