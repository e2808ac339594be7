"""30 respondents at once against a real server on PostgreSQL: nobody's answers are lost."""

import http.cookiejar
import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from respondents.models import Response, ResponseStatus
from tests.conftest import postgres_only
from tests.respondents.form_helpers import EXPECTED_ANSWERS, GOOD_PAGES, make_wave

RESPONDENTS = 30

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True), pytest.mark.slow]


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


def _respond(base: str, slug: str, number: int) -> str:
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
    return url


def test_thirty_concurrent_respondents_all_finish_with_nothing_lost(live_server, settings):
    # given: a start limit above the test's load (every thread comes from 127.0.0.1)
    settings.RESPONSE_START_LIMIT = 1000
    wave = make_wave()

    # when
    with ThreadPoolExecutor(max_workers=RESPONDENTS) as pool:
        urls = list(pool.map(lambda n: _respond(live_server.url, wave.slug, n), range(RESPONDENTS)))

    # then
    assert len(set(urls)) == RESPONDENTS
    responses = list(Response.objects.filter(wave=wave))
    assert len(responses) == RESPONDENTS
    assert {r.status for r in responses} == {ResponseStatus.COMPLETED}
    for response in responses:
        number = int(response.answers["comment"].split()[-1])
        assert response.answers == {**EXPECTED_ANSWERS, "comment": f"respondent {number}"}
        assert response.channel == "tg"
    assert sorted(int(r.answers["comment"].split()[-1]) for r in responses) == list(
        range(RESPONDENTS)
    )
