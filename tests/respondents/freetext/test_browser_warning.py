"""Warn at the source, in a real Chromium on a phone-sized screen without JavaScript: a
respondent types their name in a comment, is warned before the page is saved, removes it,
and nothing of it is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from respondents.freetext.models import ScrubbedAnswer
from respondents.models import Response, ResponseStatus
from tests.respondents.form_helpers import make_wave
from tests.respondents.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]

COMMENT = "Меня зовут Иван Петров, спасибо за опрос"


def _to_the_comment(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="I agree, start the survey").click()
    page.fill("#q-age", "34")
    page.check("#q-country-0")
    page.check("#q-has_children-0")
    page.get_by_role("button", name="Next").click()
    page.fill("#q-n_children", "2")
    page.get_by_role("button", name="Next").click()
    page.check("#q-trust_people-0")
    page.check("#q-trust_media-2")
    page.get_by_role("button", name="Next").click()
    page.check("#q-topics-0")
    page.fill("#q-left_on", "2022-09-21")


def test_a_respondent_removes_their_name_after_the_warning(live_server, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    # The database is read mid-flow, inside Playwright's event loop (the test's own thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    wave = make_wave()
    url = f"{live_server.url}/s/{wave.slug}/?src=tg&lang=en"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, locale="en-GB", java_script_enabled=False
            )
            page = context.new_page()
            _to_the_comment(page, url)
            page.fill("#q-comment", COMMENT)
            page.get_by_role("button", name="Finish").click()

            warning = page.get_by_role("alert")
            assert warning.get_by_role(
                "heading", name="Your answer may identify you or someone else"
            ).is_visible()
            assert "a person's name" in warning.inner_text()
            # Nothing of the comment was saved while the respondent decides.
            held = Response.objects.get()
            assert "comment" not in held.answers
            assert "Иван" not in json.dumps(held.answers, ensure_ascii=False)
            # The warning fits the phone's width: no sideways scrolling.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(tmp_path / "warning.png"), full_page=True)

            page.get_by_role("button", name="Remove it and continue").click()
            assert page.get_by_role("heading", name="Thank you!").is_visible()
        finally:
            browser.close()

    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETED
    assert response.answers["comment"] == "Меня зовут, спасибо за опрос"
    stored = json.dumps([response.answers, response.paradata], ensure_ascii=False)
    assert "Иван" not in stored
    assert "Петров" not in stored
    assert response.paradata["privacy_warnings"] == {"shown": 1, "removed": 1, "kept": 0}
    assert not ScrubbedAnswer.objects.filter(text__contains="Иван").exists()
