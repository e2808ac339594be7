"""A real Chromium (Debian's package) fills in the form, as a respondent on a phone would."""

from pathlib import Path

import pytest

from respondents.models import Response, ResponseStatus
from tests.respondents.form_helpers import EXPECTED_ANSWERS, make_wave

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


def _fill_in(page, url: str) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.goto(url)
    page.get_by_role("button", name="I agree, start the survey").click()
    # our stylesheet loaded (CSP allows it): the honeypot is moved off screen
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.honeypot')).position")
        == "absolute"
    )
    # a bad age is refused with the page kept
    page.fill("#q-age", "12")
    page.check("#q-country-2")
    page.fill("#q-country-other", "Serbia")
    page.check("#q-has_children-0")
    page.get_by_role("button", name="Next").click()
    assert page.locator(".error").first.inner_text() == "Age must be between 18 and 110."
    assert page.input_value("#q-country-other") == "Serbia"
    page.fill("#q-age", "34")
    page.get_by_role("button", name="Next").click()
    page.fill("#q-n_children", "2")
    page.get_by_role("button", name="Next").click()
    page.check("#q-trust_people-0")
    page.check("#q-trust_media-2")
    page.get_by_role("button", name="Next").click()
    page.check("#q-topics-0")
    page.check("#q-topics-2")
    page.fill("#q-left_on", "2022-09-21")
    page.fill("#q-comment", "Спасибо")
    page.get_by_role("button", name="Finish").click()
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    return problems


def test_chromium_completes_the_form_on_a_phone_sized_screen(live_server):
    from playwright.sync_api import sync_playwright

    wave = make_wave()
    url = f"{live_server.url}/s/{wave.slug}/?src=tg&lang=en"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
            problems = _fill_in(context.new_page(), url)
        finally:
            browser.close()

    # Console errors would include any Content-Security-Policy violation.
    assert problems == []
    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETED
    assert response.answers == EXPECTED_ANSWERS
    assert response.channel == "tg"
    assert response.language == "en"
