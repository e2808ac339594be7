"""Chromium on a phone-sized screen: a researcher uploads an XLSForm whose cascading
selects read their choices from an XML and a CSV file given beside it on the workspace's
upload page, and the preview offers those choices."""

from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from surveys.models import Choice, QuestionnaireVersion, StudyMembership, StudyRole
from tests.browser import PHONE, browser_marks, chromium, no_sideways_scroll
from tests.builders import make_study, make_user
from tests.surveys.forms import write_form
from tests.surveys.test_media_imports import REGIONS_XML, TWO_LISTS, VILLAGES_BY_REGION

pytestmark = browser_marks


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}"


def test_a_form_is_uploaded_with_its_choice_files_in_the_workspace(live_server, tmp_path):
    nina = make_user("nina")
    StudyMembership.objects.create(
        study=make_study("places", languages=("en",)), user=nina, role=StudyRole.OWNER
    )
    device = TOTPDevice.objects.create(user=nina, name="authenticator", confirmed=True)
    form = write_form(tmp_path / "places.xlsx", TWO_LISTS, [["list_name", "name"]])
    regions = tmp_path / "regions.xml"
    regions.write_text(REGIONS_XML, encoding="utf-8")
    villages = tmp_path / "villages.csv"
    villages.write_text(VILLAGES_BY_REGION, encoding="utf-8")
    site = live_server.url

    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
        page.goto(f"{site}/accounts/login/")
        page.fill("input[name=username]", "nina")
        page.fill("input[name=password]", "pw-nina")
        page.locator("main form [type=submit]").click()
        page.fill("input[name=token]", _code(device))
        page.locator("main form [type=submit]").click()
        page.goto(f"{site}/workspace/places/questionnaires/")

        # The form alone is refused, naming the file it needs.
        page.set_input_files("input[name=file]", str(form))
        page.locator("#upload [type=submit]").click()
        assert (
            "choice list file 'regions.xml' is not given" in page.locator("#refusal").inner_text()
        )

        # With both files chosen in the one input, it is imported.
        page.set_input_files("input[name=file]", str(form))
        page.set_input_files("input[name=choice_files]", [str(regions), str(villages)])
        assert no_sideways_scroll(page)
        page.locator("#upload [type=submit]").click()
        assert page.locator("#import-report").is_visible()
        page.locator("#preview-links a").first.click()
        assert page.get_by_text("North").is_visible()
        assert page.get_by_text("South").is_visible()

    version = QuestionnaireVersion.objects.get(questionnaire__study__slug="places")
    lists = Choice.objects.filter(choice_list__version=version)
    assert sorted(lists.values_list("choice_list__name", "name")) == [
        ("regions.xml", "north"),
        ("regions.xml", "south"),
        ("villages.csv", "v1"),
        ("villages.csv", "v2"),
    ]
