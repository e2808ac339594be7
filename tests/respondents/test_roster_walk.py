"""A household roster (an XLSForm repeat) imported, published and walked in Django's
client: entries added and removed without script, each entry checked like a page, the
relevant and calculations inside an entry reading that entry's answers, count() and
sum() outside, bounds enforced, Back and resume keeping the entries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from respondents.freetext import warnings
from respondents.freetext.models import ScrubbedAnswer
from respondents.freetext.review import review_rows
from respondents.freetext.services import scrub_responses
from respondents.models import Response, ResponseStatus, Wave
from respondents.services.import_responses import ImportFileError, import_responses
from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.builders import make_study
from tests.respondents.form_helpers import hidden_value, page_post, start_open
from tests.surveys.roster_forms import ROSTER_SURVEY, roster_form

pytestmark = pytest.mark.django_db


def _wave(tmp_path: Path, survey: list[list[str]] | None = None) -> Wave:
    study = make_study("roster", languages=("en",))
    result = import_questionnaire(roster_form(tmp_path / "roster.xlsx", survey), study=study)
    version = publish_version(result.version.pk)
    return open_wave(study, version, "w1")


def _send(client: Client, url: str, answers: dict[str, list[str]], action: str = "next") -> str:
    html = client.get(url).content.decode()
    posted = client.post(url, page_post(html, answers, action))
    assert posted.status_code in (200, 303), posted.status_code
    if posted.status_code == 200:
        return posted.content.decode()
    return client.get(url).content.decode()


def _entries(html: str) -> list[str]:
    return re.findall(r'<fieldset class="roster-entry" id="members-(\d+)"', html)


def test_a_household_roster_walks_as_its_author_meant(tmp_path: Path) -> None:
    wave = _wave(tmp_path)
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    html = _send(client, url, {"city": ["Tbilisi"]})
    assert hidden_value(html, "_pw_page") == "members"
    # min=1: one entry to start with, and it cannot be removed.
    assert _entries(html) == ["1"]
    assert "Remove entry" not in html
    assert "At least 1 entry is needed." in html

    first = {
        "members:1:m_name": ["Nino"],
        "members:1:m_age": ["41"],
        "members:1:m_rel": ["partner"],
    }
    html = _send(client, url, first, action="roster:add")
    assert _entries(html) == ["1", "2"]
    # The first entry's answers were kept; its label pipes the entry's own name.
    assert 'value="Nino"' in html
    assert "Age of Nino" in html
    assert "Remove entry 2" in html

    # A child: the school question appears in that entry only (a same-page relevant,
    # shown again without script), and each entry's errors are its own.
    second = {"members:2:m_name": ["Luka"], "members:2:m_age": ["7"], "members:2:m_rel": ["child"]}
    html = _send(client, url, {**first, **second})
    assert hidden_value(html, "_pw_page") == "members"
    assert 'name="members:2:m_school"' in html
    assert 'name="members:1:m_school"' not in html

    third = {"members:3:m_name": ["Gia"], "members:3:m_age": ["130"], "members:3:m_rel": ["parent"]}
    html = _send(client, url, {**first, **second}, action="roster:add")
    html = _send(client, url, {**first, **second, **third})
    assert hidden_value(html, "_pw_page") == "members"
    assert "Enter a value from 0 to 120." in html
    assert html.count('class="error"') == 1

    # Remove the third entry; then Next moves on with two members.
    html = _send(client, url, {**first, **second, **third}, action="roster:remove:3")
    assert _entries(html) == ["1", "2"]
    html = _send(client, url, {**first, **second, "members:2:m_school": ["School 12"]})
    assert hidden_value(html, "_pw_page") == "check"
    assert "You listed 2 people, 1 of them adults." in html

    # Back: the roster again, with both entries as they were.
    html = _send(client, url, {}, action="back")
    assert hidden_value(html, "_pw_page") == "members"
    assert _entries(html) == ["1", "2"]
    assert 'value="School 12"' in html

    # Resume the link in a fresh browser: the same page and entries.
    again = Client()
    html = again.get(url).content.decode()
    assert _entries(html) == ["1", "2"]
    html = _send(client, url, {**first, **second, "members:2:m_school": ["School 12"]})
    html = _send(client, url, {"right": ["yes"]})

    response = Response.objects.get(wave=wave)
    assert response.status == ResponseStatus.COMPLETED
    assert response.answers["members"] == [
        {"m_name": "Nino", "m_age": 41, "m_rel": "partner", "m_adult": 1, "m_pos": 1},
        {
            "m_name": "Luka",
            "m_age": 7,
            "m_rel": "child",
            "m_school": "School 12",
            "m_adult": 0,
            "m_pos": 2,
        },
    ]
    assert (response.answers["n_members"], response.answers["n_adults"]) == (2, 1)


def test_the_maximum_is_enforced_and_said(tmp_path: Path) -> None:
    wave = _wave(tmp_path)
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    _send(client, url, {"city": ["Tbilisi"]})
    for _ in range(5):
        html = _send(client, url, {}, action="roster:add")
    assert _entries(html) == ["1", "2", "3", "4"]
    assert "You can list at most 4 entries." in html
    assert "Add another" not in html
    # A crafted "add" past the maximum changes nothing.
    html = _send(client, url, {}, action="roster:add")
    assert _entries(html) == ["1", "2", "3", "4"]


def test_a_fixed_count_roster_asks_as_many_entries_as_the_count(tmp_path: Path) -> None:
    survey = [list(row) for row in ROSTER_SURVEY]
    head = survey[0]
    begin = next(row for row in survey if row[0] == "begin repeat")
    begin[head.index("parameters")] = ""
    begin[head.index("repeat_count")] = "${hh_size}"
    survey.insert(1, ["integer", "hh_size", "How many people?", "", "yes", "", "", "", "", "", ""])
    wave = _wave(tmp_path, survey)
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    _send(client, url, {"hh_size": ["3"]})
    html = _send(client, url, {"city": ["Tbilisi"]})
    assert _entries(html) == ["1", "2", "3"]
    assert "Add another" not in html
    assert "Remove entry" not in html
    html = _send(client, url, {})
    assert html.count("This question requires an answer.") == 9


def test_free_text_in_an_entry_is_warned_about_and_scrubbed_per_entry(tmp_path: Path) -> None:
    wave = _wave(tmp_path)
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    _send(client, url, {"city": ["Tbilisi"]})
    first = {
        "members:1:m_name": ["Nino"],
        "members:1:m_age": ["41"],
        "members:1:m_rel": ["partner"],
    }
    child = {
        "members:2:m_name": ["Luka"],
        "members:2:m_age": ["7"],
        "members:2:m_rel": ["child"],
        "members:2:m_school": ["write to luka.b@example.org"],
    }
    _send(client, url, first, action="roster:add")
    _send(client, url, {**first, **child})
    html = _send(client, url, {**first, **child})
    # The entry's free text is checked like any page's: a contact stops the page.
    assert "Your answer may identify you or someone else" in html
    # The warning names the item as the entry asks it, the entry's name piped in.
    warning = html[html.index('class="privacy-warning"') :]
    assert "<strong>Entry 2: Which school does Luka attend?</strong>" in warning
    assert "${m_name}" not in warning
    posted = client.post(
        url, {**page_post(html, {**first, **child}), warnings.CHOICE_FIELD: "remove"}
    )
    assert posted.status_code == 303
    html = _send(client, url, {"right": ["yes"]})
    response = Response.objects.get(wave=wave)
    assert "example.org" not in response.answers["members"][1]["m_school"]

    # Scrub-once stores the entry's text under its own key, and the review reads it.
    response.answers["members"][1]["m_school"] = "call +995 555 12 34 56"
    response.save(update_fields=["answers"])
    scrub_responses([response.pk])
    stored = ScrubbedAnswer.objects.get(response=response, key="m_school#2")
    assert "555" not in stored.text
    rows, _more = review_rows(wave.study_id, key="m_school#2")
    assert len(rows) == 1
    assert "555" in "".join(segment.text for segment in rows[0].segments)


def test_a_fixed_count_of_none_skips_the_roster(tmp_path: Path) -> None:
    survey = [list(row) for row in ROSTER_SURVEY]
    head = survey[0]
    begin = next(row for row in survey if row[0] == "begin repeat")
    begin[head.index("parameters")] = ""
    begin[head.index("repeat_count")] = "${hh_size}"
    survey.insert(1, ["integer", "hh_size", "How many people?", "", "yes", "", "", "", "", "", ""])
    wave = _wave(tmp_path, survey)
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    _send(client, url, {"hh_size": ["0"]})
    html = _send(client, url, {"city": ["Tbilisi"]})
    assert hidden_value(html, "_pw_page") == "check"
    assert "You listed 0 people, 0 of them adults." in html


def test_a_file_without_roster_columns_leaves_rosters_out_and_bare_ones_are_refused(
    tmp_path: Path,
) -> None:
    wave = _wave(tmp_path)
    good = tmp_path / "good.csv"
    good.write_text("source_id,started_at,completed_at,city,right\n"
                    "a1,2026-01-01T10:00:00Z,2026-01-01T10:09:00Z,Tbilisi,yes\n")  # fmt: skip
    result = import_responses(wave, good)
    assert (result.imported, result.rejected) == (1, 0), result.errors
    response = Response.objects.get(wave=wave, source_id="a1")
    assert "members" not in response.answers
    bad = tmp_path / "bad.csv"
    bad.write_text("source_id,started_at,city,m_age\na2,2026-01-01T10:00:00Z,Tbilisi,41\n")
    with pytest.raises(ImportFileError, match=r"column\(s\) 'm_age' are items of a roster"):
        import_responses(wave, bad)
