"""In Chromium: a wave-1 respondent who joined the panel comes back to wave 2 through the open
link, says "I took part before", follows the link from the mailbox, and the panel export
holds one person in both waves; someone else who types that address at the start of their
questionnaire links nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from exports.sampling import select_sample
from respondents.models import LinkHow, Response, ResponseLink
from respondents.services.waves import open_wave
from tests.respondents.fieldwork import add_response, make_member
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


def test_a_returner_links_wave_two_by_the_link_in_the_mail(
    live_server, monkeypatch, settings, tmp_path
):
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
            context.close()

            # Someone else starts wave 2 saying they took part before, and types that address.
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
            page = context.new_page()
            page.goto(f"{live_server.url}/s/{second.slug}/?lang=en")
            page.get_by_role("button", name="I agree, and I took part before").click()
            page.fill("#id_earlier_email", EMAIL)
            page.get_by_role("button", name="Send me a link").click()
            assert page.get_by_text("If we know this address").is_visible()
            page.get_by_role("link", name="Go on to the questionnaire").click()
            assert page.locator("#q-age").is_visible()
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
    # The other respondent's request only mailed the address's owner; nothing was linked.
    assert [message.to for message in mail.outbox] == [[EMAIL], [EMAIL]]
    other = Response.objects.exclude(pk=later.pk).get(wave=second)
    assert other.member_id is None
    assert not ResponseLink.objects.filter(response=other).exists()
    # The panel export: three panelists invited to both waves besides the returner (k = 2
    # needs company), and the returner is one person in both waves among them.
    for _ in range(3):
        panelist = make_member(first.study)
        add_response(first, member=panelist, answers=earlier.answers)
        add_response(second, member=panelist, answers=later.answers)
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command(
        "export_data",
        "--study",
        first.study.slug,
        "--waves",
        f"{first.pk},{second.pk}",
        "--format",
        "csv",
        "--sample",
        "panel",
        "--layout",
        "long",
        "--k",
        "2",
        "--language",
        "en",
        "--out",
        str(tmp_path / "out"),
        stdout=io.StringIO(),
    )
    [data] = [path for path in (tmp_path / "out").glob("*.csv") if "codebook" not in path.name]
    rows = list(csv.DictReader(data.open(encoding="utf-8")))
    waves_of: dict[str, list[str]] = {}
    for row in rows:
        waves_of.setdefault(row["pid"], []).append(row["wave"])
    # Unlinked, the returner's two responses would be two people in one wave each, and the
    # panel sample (two or more waves) would hold three people.
    assert len(waves_of) == 4
    assert all(sorted(waves) == ["1", "2"] for waves in waves_of.values())
