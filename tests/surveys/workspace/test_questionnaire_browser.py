# ruff: noqa: RUF001  (Russian labels are meant to be Cyrillic)
"""Chromium on a phone-sized screen: an owner with two-factor authentication creates a
study, uploads a bilingual XLSForm (a refused file first), previews it in both languages,
publishes it, uploads a changed form and reads the diff, and adds a member. Screenshots of
each page feed the walkthrough (tests/browser.py says where they go)."""

from __future__ import annotations

from pathlib import Path

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from surveys.models import QuestionnaireVersion, Study, StudyMembership, StudyRole, VersionStatus
from tests.browser import PHONE, browser_marks, chromium, no_sideways_scroll, screenshot
from tests.builders import make_study, make_user
from tests.surveys.forms import SURVEY, write_form

pytestmark = browser_marks

DEMO_PANEL = Path(__file__).resolve().parents[3] / "respondents" / "data" / "demo_panel.xlsx"


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}"


def _fits(page) -> None:
    assert no_sideways_scroll(page), page.url
    assert "CSRF" not in page.content()


def test_owner_creates_a_study_and_publishes_a_bilingual_questionnaire(live_server, tmp_path):
    olga = make_user("olga")
    make_user("rita")
    StudyMembership.objects.create(study=make_study("pilot"), user=olga, role=StudyRole.OWNER)
    device = TOTPDevice.objects.create(user=olga, name="authenticator", confirmed=True)
    site = live_server.url
    refused = tmp_path / "notes.txt"
    refused.write_text("not a questionnaire")
    changed = write_form(tmp_path / "demo_panel.xlsx", survey=SURVEY)

    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
        page.goto(f"{site}/accounts/login/")
        page.fill("input[name=username]", "olga")
        page.fill("input[name=password]", "pw-olga")
        page.locator("main form [type=submit]").click()
        page.fill("input[name=token]", _code(device))
        page.locator("main form [type=submit]").click()
        assert page.url == f"{site}/workspace/"

        # a new study
        page.locator("#new-study").click()
        page.fill("input[name=title]", "Emigrants' panel 2027")
        page.fill("input[name=slug]", "emigrants-2027")
        page.check("#languages input[value=ru]")
        page.check("#languages input[value=en]")
        page.select_option("select[name=default_language]", "ru")
        page.fill("textarea[name=consent_ru]", "Участие добровольное и анонимное.")
        page.fill("textarea[name=consent_en]", "Taking part is voluntary and anonymous.")
        _fits(page)
        screenshot(page, "workspace-new-study.png")
        page.locator("#study-form [type=submit]").click()
        assert page.url == f"{site}/workspace/emigrants-2027/"
        _fits(page)
        screenshot(page, "workspace-study-home.png")

        # a refused file, then the bilingual XLSForm
        page.locator(".study-nav").get_by_role("link", name="Questionnaires").click()
        page.set_input_files("input[name=file]", str(refused))
        page.locator("#upload [type=submit]").click()
        assert "is not a form file" in page.content()
        _fits(page)
        screenshot(page, "workspace-upload-refused.png")
        page.set_input_files("input[name=file]", str(DEMO_PANEL))
        page.locator("#upload [type=submit]").click()
        assert page.locator("#import-report").is_visible()
        _fits(page)
        screenshot(page, "workspace-version-draft.png")
        version_url = page.url

        # the preview, in each language
        for lang, heading in (("ru", "О вас"), ("en", "About you")):
            page.locator(f"#preview-links a[lang={lang}]").click()
            assert page.get_by_role("heading", name=heading).first.is_visible()
            _fits(page)
            screenshot(page, f"workspace-preview-{lang}.png")
            page.goto(version_url)

        # publish
        page.locator("#publish [type=submit]").click()
        assert "Version published" in page.content()
        assert page.locator("#version-state").inner_text().startswith("Published")

        # a changed form: version 2 and its diff against version 1
        page.locator(".study-nav").get_by_role("link", name="Questionnaires").click()
        page.set_input_files("input[name=file]", str(changed))
        page.fill("input[name=name]", "demo_panel")
        page.locator("#upload [type=submit]").click()
        diff = page.locator("#diff").inner_text()
        assert "Against version 1" in diff
        assert "added" in diff
        assert "removed" in diff
        _fits(page)
        screenshot(page, "workspace-version-diff.png")

        # a member
        page.locator(".study-nav").get_by_role("link", name="Members").click()
        page.fill("#add-member input[name=username]", "rita")
        page.select_option("#add-member select[name=role]", "researcher")
        page.locator("#add-member [type=submit]").click()
        assert page.locator("#members tr[data-user=rita]").is_visible()
        _fits(page)
        screenshot(page, "workspace-members.png")

    study = Study.objects.get(slug="emigrants-2027")
    assert study.languages == ["ru", "en"]
    assert study.consent_text["en"] == "Taking part is voluntary and anonymous."
    versions = QuestionnaireVersion.objects.filter(questionnaire__study=study).order_by("number")
    assert [v.status for v in versions] == [VersionStatus.PUBLISHED, VersionStatus.DRAFT]
    assert StudyMembership.objects.get(study=study, user__username="rita").role == "researcher"
