"""In Chromium: a wave-1 respondent who joined the panel comes back to wave 2 through the open
link, says "I took part before", follows the link from the mailbox, and the panel sample
sees one person in both waves."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from exports.sampling import select_sample
from respondents.models import LinkHow, Response, ResponseLink
from respondents.services.waves import open_wave
from tests.respondents.form_helpers import make_wave
from tests.respondents.test_browser import CHROMIUM, CHROMIUM_ARGS, _fill_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]

EMAIL = "returner@example.org"


def test_a_returner_links_wave_two_by_the_link_in_the_mail(live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the checks between pages read
    # the database from it, while the live server answers from its own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    first = make_wave()
    second = open_wave(first.study, first.version, "w2")
    second.opens_at = (first.opens_at or second.created_at) + timedelta(days=180)
    second.save(update_fields=["opens_at"])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
            page = context.new_page()
            _fill_in(page, f"{live_server.url}/s/{first.slug}/?lang=en")
            page.fill("#id_email", EMAIL)
            page.get_by_role("button", name="Join the panel").click()
            assert page.get_by_text("You have joined the panel").is_visible()
            context.close()

            # Six months later, a fresh browser, the open link of wave 2.
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
            page = context.new_page()
            _fill_in(page, f"{live_server.url}/s/{second.slug}/?lang=en")
            page.fill("#id_earlier_email", EMAIL.upper())
            page.get_by_role("button", name="Send me a link").click()
            assert page.get_by_text("If we know this address").is_visible()
            assert len(mail.outbox) == 1
            assert mail.outbox[0].to == [EMAIL]
            later = Response.objects.get(wave=second)
            assert later.member_id is None  # nothing linked before the click

            found = re.search(r"/v/\S+/", str(mail.outbox[0].body))
            assert found
            page.goto(f"{live_server.url}{found.group(0)}")
            page.get_by_role("button", name="Connect my answers").click()
            assert page.get_by_role("heading", name="Your answers are connected").is_visible()
        finally:
            browser.close()

    earlier = Response.objects.get(wave=first)
    later.refresh_from_db()
    assert later.member_id == earlier.member_id is not None
    assert ResponseLink.objects.get(response=later).how == LinkHow.VERIFIED
    panel = select_sample(
        first.study_id, [first.pk, second.pk], sample="panel", include_flagged=True
    )
    assert panel.people == 1
