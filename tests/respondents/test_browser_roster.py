"""A household roster (an XLSForm repeat) on a 390 px phone in Chromium, without relying on
script: two members added, one removed, Back to the roster, the link resumed in a fresh
browser, every entry kept; the page never scrolls sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from respondents.models import Response, ResponseStatus
from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.browser import PHONE, browser_marks, chromium, no_sideways_scroll
from tests.builders import make_study
from tests.surveys.roster_forms import roster_form

pytestmark = browser_marks


def _member(page: Any, number: int, name: str, age: str, relation: int) -> None:
    page.fill(f"#q-members-{number}-m_name", name)
    page.fill(f"#q-members-{number}-m_age", age)
    page.check(f"#q-members-{number}-m_rel-{relation}")


def test_a_roster_on_a_phone_adds_removes_goes_back_and_resumes(
    live_server: Any, tmp_path: Path
) -> None:
    study = make_study("roster", languages=("en",))
    result = import_questionnaire(roster_form(tmp_path / "roster.xlsx"), study=study)
    wave = open_wave(study, publish_version(result.version.pk), "w1")
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
        page.goto(f"{live_server.url}/s/{wave.slug}/?lang=en")
        page.get_by_role("button", name="I agree, start the survey").click()
        page.fill("#q-city", "Tbilisi")
        page.get_by_role("button", name="Next").click()

        _member(page, 1, "Nino", "41", 0)
        page.get_by_role("button", name="Add another").click()
        _member(page, 2, "Luka", "7", 1)
        page.get_by_role("button", name="Add another").click()
        _member(page, 3, "Gia", "70", 2)
        assert no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / "roster.png"), full_page=True)
        # Remove the child (entry 2): Gia becomes entry 2.
        page.get_by_role("button", name="Remove entry 2").click()
        assert page.locator("fieldset.roster-entry").count() == 2
        assert page.input_value("#q-members-2-m_name") == "Gia"
        # Enter in a field moves forward, never removes an entry.
        page.press("#q-members-2-m_age", "Enter")
        assert "You listed 2 people, 2 of them adults." in page.content()

        page.get_by_role("button", name="Back").click()
        assert page.locator("fieldset.roster-entry").count() == 2
        kept = [page.input_value(f"#q-members-{n}-m_name") for n in (1, 2)]
        resume = page.locator(".resume-link a").get_attribute("href")
        assert resume is not None

        # The resume link in a fresh browser: the same roster page and entries.
        other = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
        other.goto(live_server.url + urlsplit(resume).path)
        resumed = [other.input_value(f"#q-members-{n}-m_age") for n in (1, 2)]
        other.get_by_role("button", name="Next").click()
        other.check("#q-right-0")
        other.get_by_role("button", name="Finish").click()
        assert no_sideways_scroll(other)

    assert kept == ["Nino", "Gia"]
    assert resumed == ["41", "70"]
    response = Response.objects.get(wave=wave)
    assert response.status == ResponseStatus.COMPLETED
    assert [m["m_name"] for m in response.answers["members"]] == ["Nino", "Gia"]
    assert response.answers["n_adults"] == 2
