"""Review before release, in Chromium: an owner (two-factor) restores a false replacement
and redacts a span the scrubber missed; the next export releases both; a researcher cannot
open the page."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from exports.assembly import build_dataset
from exports.dataset import ExportSpec
from respondents.freetext import services
from respondents.freetext.models import FreeTextDecision, ScrubbedAnswer
from respondents.models import Response
from surveys.models import StudyMembership, StudyRole
from tests.browser import PHONE, browser_marks, chromium, no_sideways_scroll
from tests.builders import make_user
from tests.exports.fixtures import build_three_wave_panel

pytestmark = browser_marks

COMMENT = "Спасибо фонду Надежда, брат работает в Газпроме"


def _sign_in(page: Any, url: str, username: str, device: TOTPDevice | None = None) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    page.locator("main form [type=submit]").click()
    if device is not None:
        code = totp(device.bin_key, step=device.step, digits=device.digits)
        page.fill("input[name=token]", f"{code:0{device.digits}d}")
        page.locator("main form [type=submit]").click()


def _export_comments(panel: Any) -> set[str]:
    spec = ExportSpec(
        study_id=panel.study.pk,
        wave_ids=panel.wave_ids,
        sample="combined",
        layout="long",
        pseudonym_key=b"k" * 32,
        k=2,
        include_flagged=True,
    )
    frame = pd.concat(list(build_dataset(spec).chunks()), ignore_index=True)
    return set(frame["comment"].astype(str))


def test_owner_restores_and_redacts_and_the_next_export_shows_both(live_server, monkeypatch):
    # The database is read mid-flow, inside Playwright's event loop (the test's own thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    panel = build_three_wave_panel()
    response = Response.objects.filter(wave_id__in=panel.wave_ids, answers__has_key="comment")[0]
    response.answers["comment"] = COMMENT
    response.save()
    services.rescrub_stale()
    stored = ScrubbedAnswer.objects.get(response=response, key="comment")
    assert stored.text == "Спасибо фонду <NAME>, брат работает в Газпроме"
    olga, rita = make_user("olga"), make_user("rita")
    StudyMembership.objects.create(study=panel.study, user=olga, role=StudyRole.OWNER)
    StudyMembership.objects.create(study=panel.study, user=rita, role=StudyRole.RESEARCHER)
    device = TOTPDevice.objects.create(user=olga, name="authenticator", confirmed=True)
    review_url = f"{live_server.url}/workspace/{panel.study.slug}/free-text/?key=comment"

    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
        _sign_in(page, f"{live_server.url}/accounts/login/?next=/workspace/", "olga", device)
        page.goto(review_url)
        assert no_sideways_scroll(page)
        answer = page.locator(f"article[data-response='{response.pk}']")
        assert answer.locator("mark.found").inner_text().startswith("Надежда")

        restore = answer.locator("form.restore").filter(has_text="Надежда")
        restore.locator("input[name=reason]").fill("a foundation's name, not a person")
        restore.get_by_role("button", name="Restore").click()
        answer = page.locator(f"article[data-response='{response.pk}']")
        redact = answer.locator("form.redact")
        redact.locator("input[name=phrase]").fill("Газпроме")
        redact.locator("input[name=reason]").fill("the employer identifies the brother")
        redact.get_by_role("button", name="Redact").click()
        answer = page.locator(f"article[data-response='{response.pk}']")
        assert answer.locator(".released").inner_text() == (
            "Спасибо фонду Надежда, брат работает в <REDACTED>"
        )
        page.locator("#sign-out").click()

        _sign_in(page, f"{live_server.url}/accounts/login/?next=/workspace/", "rita")
        refused = page.goto(review_url)
        assert refused is not None
        assert refused.status == 403
        assert "Газпроме" not in page.content()

    decisions = FreeTextDecision.objects.filter(response=response).order_by("pk")
    assert [(d.action, d.decided_by_id, d.revoked_at) for d in decisions] == [
        ("restore", olga.pk, None),
        ("redact", olga.pk, None),
    ]
    comments = _export_comments(panel)
    assert "Спасибо фонду Надежда, брат работает в <REDACTED>" in comments
    assert not any("Газпроме" in c for c in comments)
