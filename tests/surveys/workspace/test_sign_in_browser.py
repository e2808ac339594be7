"""Chromium signs in to the admin and the workspace and posts staff forms: the referrer
policy lets its same-origin posts carry their Origin, so the CSRF check passes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from surveys.models import Study, StudyMembership, StudyRole
from tests.browser import PHONE, browser_marks, chromium, no_sideways_scroll, screenshot
from tests.builders import make_study, make_user

pytestmark = browser_marks


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    page.locator("form [type=submit]").last.click()


def test_superuser_signs_in_to_the_admin_and_saves_a_form(live_server):
    get_user_model().objects.create_superuser("root", password="pw-root")
    study = make_study("alpha")

    with chromium() as browser:
        page = browser.new_page()
        _sign_in(page, f"{live_server.url}/admin/login/", "root")
        assert "CSRF" not in page.content()
        assert page.url == f"{live_server.url}/admin/"
        page.goto(f"{live_server.url}/admin/surveys/study/{study.pk}/change/")
        page.fill("input[name=title]", "Renamed in the admin")
        page.locator("input[name=_save]").click()
        assert "CSRF" not in page.content()
        assert page.url.endswith("/admin/surveys/study/")

    assert Study.objects.get(pk=study.pk).title == "Renamed in the admin"


def test_researcher_signs_in_switches_language_and_signs_out_on_a_phone(live_server):
    study = make_study("alpha")
    rita = make_user("rita")
    StudyMembership.objects.create(study=study, user=rita, role=StudyRole.RESEARCHER)

    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
        assert page.goto(f"{live_server.url}/").status == 200
        assert "Study alpha" not in page.content()
        page.locator("main").get_by_role("link", name="Staff sign-in").click()
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", "pw-rita")
        page.locator("main form [type=submit]").click()
        assert page.url == f"{live_server.url}/workspace/"
        assert page.get_by_role("heading", name="My studies").is_visible()
        assert no_sideways_scroll(page)
        screenshot(page, "workspace-my-studies.png")

        page.locator("#language-switch button[value=ru]").click()
        assert "CSRF" not in page.content()
        assert page.get_by_role("heading", name="Мои исследования").is_visible()
        page.locator("#language-switch button[value=en]").click()

        page.get_by_role("link", name="Study alpha").click()
        assert page.url == f"{live_server.url}/workspace/alpha/"
        assert no_sideways_scroll(page)
        page.goto(f"{live_server.url}/dashboard/studies/alpha/")
        assert no_sideways_scroll(page)

        page.locator("#sign-out").click()
        assert "CSRF" not in page.content()
        page.goto(f"{live_server.url}/workspace/")
        assert "/accounts/login/" in page.url


def test_owner_passes_the_second_factor_and_reaches_the_workspace(live_server):
    study = make_study("alpha")
    olga = make_user("olga")
    StudyMembership.objects.create(study=study, user=olga, role=StudyRole.OWNER)
    device = TOTPDevice.objects.create(user=olga, name="authenticator", confirmed=True)

    with chromium() as browser:
        page = browser.new_page()
        _sign_in(page, f"{live_server.url}/accounts/login/?next=/workspace/alpha/", "olga")
        assert "/accounts/two-factor/" in page.url
        page.fill(
            "input[name=token]",
            f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}",
        )
        page.locator("main form [type=submit]").click()
        assert "CSRF" not in page.content()
        assert page.url == f"{live_server.url}/workspace/alpha/"
        assert page.get_by_role("heading", name="Study alpha").is_visible()
