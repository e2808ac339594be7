"""In a real Chromium: "leave quickly" replaces the survey in the history, and closing the
browser leaves no cookie behind (every cookie a respondent page sets is a session cookie)."""

from __future__ import annotations

import pytest

from tests.respondents.form_helpers import make_wave
from tests.respondents.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed"),
]


def test_leave_quickly_replaces_the_page_and_no_cookie_outlives_the_browser(live_server):
    from playwright.sync_api import sync_playwright

    # given a study whose neutral site is another page of the test server
    wave = make_wave()
    wave.study.neutral_title = "Notes"
    wave.study.leave_url = f"{live_server.url}/healthz"
    wave.study.save(update_fields=["neutral_title", "leave_url"])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
            page = context.new_page()
            page.goto(f"{live_server.url}/s/{wave.slug}/?lang=en")
            page.get_by_role("button", name="I agree, start the survey").click()
            survey_url = page.url
            title = page.title()
            history_before = page.evaluate("history.length")

            # when
            page.get_by_role("link", name="Leave quickly").click()
            page.wait_for_url(f"{live_server.url}/healthz")

            # then
            history_after = page.evaluate("history.length")
            page.go_back()
            went_back_to = page.url
            cookies = context.cookies()
        finally:
            browser.close()

    assert title == "Notes"
    assert history_after == history_before
    assert went_back_to != survey_url
    # The session remembers the consent offer (Back to consent resumes); it too ends with
    # the browser.
    assert {cookie["name"] for cookie in cookies} <= {"csrftoken", "sessionid"}
    assert all(cookie["expires"] == -1 for cookie in cookies)
