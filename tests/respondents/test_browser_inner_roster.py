"""A household roster inside a section of the household group, on a 390 px phone in
Chromium with script switched off: the group's first part, the roster under its groups'
titles with as many entries as the household size says, the group's second part after
it, Back to the roster with the entries kept, and on to the end; nothing scrolls
sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from respondents.models import Response, ResponseStatus
from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.browser import PHONE, SCREENSHOTS, browser_marks, chromium, no_sideways_scroll
from tests.builders import make_study
from tests.surveys.inner_roster_forms import inner_roster_form

pytestmark = browser_marks


def _next(page: Any) -> None:
    page.get_by_role("button", name="Next").click()


def test_a_roster_inside_a_section_is_asked_in_place_on_a_phone(
    live_server: Any, tmp_path: Path
) -> None:
    study = make_study("inner", languages=("en",))
    result = import_questionnaire(inner_roster_form(tmp_path / "f.xlsx"), study=study)
    wave = open_wave(study, publish_version(result.version.pk), "w1")
    with chromium() as browser:
        context = browser.new_context(viewport=PHONE, locale="en-GB", java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{live_server.url}/s/{wave.slug}/?lang=en")
        page.get_by_role("button", name="I agree, start the survey").click()
        page.check("#q-consent-0")
        _next(page)

        # `hh`, first part: the size; the section's note appears once the size is known.
        assert page.locator("h1").inner_text() == "Household"
        page.fill("#q-hh_size", "3")
        _next(page)
        assert page.get_by_text("Please list everyone who lives with you.").is_visible()
        _next(page)

        # The roster, under the titles of both groups it sits in: two others, fixed.
        chain = page.locator(".group-chain-title").all_inner_texts()
        assert chain == ["Household", "Household members"]
        assert page.locator("h1").inner_text() == "Members"
        assert page.locator("fieldset.roster-entry").count() == 2
        assert page.get_by_role("button", name="Add another").count() == 0
        page.fill("#q-hh_members-1-m_initials", "NB")
        page.fill("#q-hh_members-1-m_age", "41")
        page.fill("#q-hh_members-2-m_initials", "LB")
        page.fill("#q-hh_members-2-m_age", "7")
        assert no_sideways_scroll(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "inner-roster-phone.png"), full_page=True)
        _next(page)

        # `hh`, second part: the section's last item and the group's item after it.
        assert page.locator("h1").inner_text() == "Household"
        assert page.get_by_text("Is everyone listed?").is_visible()
        page.get_by_role("button", name="Back").click()
        kept = [page.input_value(f"#q-hh_members-{n}-m_initials") for n in (1, 2)]
        _next(page)
        page.check("#q-all_listed-0")
        page.check("#q-hh_head-1")
        _next(page)

        assert page.locator("h1").inner_text() == "Water"
        page.check("#q-water-0")
        _next(page)
        assert page.locator("h1").inner_text() == "Food"
        page.get_by_role("button", name="Finish").click()
        assert no_sideways_scroll(page)

    assert kept == ["NB", "LB"]
    response = Response.objects.get(wave=wave)
    assert response.status == ResponseStatus.COMPLETED
    assert [m["m_age"] for m in response.answers["hh_members"]] == [41, 7]
    assert (response.answers["all_listed"], response.answers["hh_head"]) == ("yes", "no")
