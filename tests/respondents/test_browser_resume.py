"""On a 390 px phone in Chromium: the browser's Back never starts a second response, and
switching language in the middle of a page keeps what was typed on it."""

from pathlib import Path

import pytest

from respondents.models import Response
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


def test_back_twice_then_next_resumes_and_a_language_switch_keeps_the_answers(
    live_server, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    wave = make_wave()
    url = f"{live_server.url}/s/{wave.slug}/?lang=en"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
            page = context.new_page()
            page.goto(url)
            page.get_by_role("button", name="I agree, start the survey").click()
            page.fill("#q-age", "34")
            page.check("#q-country-0")
            page.check("#q-has_children-1")
            page.get_by_role("button", name="Next").click()
            assert page.locator("#q-trust_people-0").count() == 1

            # Back twice: the first question page, then the consent page, which forwards
            # to the response already started; Next goes on from there.
            page.go_back()
            page.go_back()
            assert page.locator("#q-trust_people-0").count() == 1
            page.check("#q-trust_people-0")
            page.check("#q-trust_media-2")
            page.get_by_role("button", name="Next").click()

            # Mid-page: answers given, then the language switched to Russian.
            page.check("#q-topics-0")
            page.fill("#q-comment", "half typed")
            page.get_by_role("button", name="Русский").click()
            lang = page.locator("html").get_attribute("lang")
            kept = (page.is_checked("#q-topics-0"), page.input_value("#q-comment"))
            page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        finally:
            browser.close()

    assert lang == "ru"
    assert kept == (True, "half typed")
    response = Response.objects.get(wave=wave)
    assert response.language == "ru"
    assert response.answers["age"] == 34
    assert response.answers["trust_media"] == "3"
    assert response.answers["comment"] == "half typed"
