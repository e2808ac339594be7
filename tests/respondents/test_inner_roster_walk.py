"""Nested rosters walked in Django's client: the household roster inside a section of the
household group (its count computed, its groups' titles shown, their relevant obeyed),
the jobs roster amid its group's items asked between the group's two parts, and a roster
whose add and remove are switched off. The rosters are exported as child tables and read
back with pyreadstat."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from django.test import Client

from exports.assembly import build_dataset
from exports.codebook import ExportDescription
from exports.dataset import ExportSpec
from exports.repeats import write_rosters
from respondents.models import Response, ResponseStatus, Wave
from respondents.services.import_responses import import_responses
from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.builders import make_study
from tests.respondents.form_helpers import hidden_value, page_post, start_open
from tests.surveys.inner_roster_forms import (
    AMID_SURVEY,
    amid_roster_form,
    inner_roster_form,
    row,
)

pytestmark = pytest.mark.django_db


def _wave(path: Path, slug: str = "inner") -> Wave:
    study = make_study(slug, languages=("en",))
    version = publish_version(import_questionnaire(path, study=study).version.pk)
    return open_wave(study, version, "w1")


def _walk(
    wave: Wave, answers: dict[str, dict[str, list[str]]], pages: dict[str, str] | None = None
) -> list[str]:
    """The pages one respondent sees, answering each from `answers`; the HTML of each page
    is kept in `pages`. A page whose answers show more of it (a section's relevant) is
    shown again, as without script it must be; it is counted once."""
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    seen: list[str] = []
    html = client.get(url).content.decode()
    for _post in range(20):
        if 'name="_pw_page"' not in html:
            break
        page = hidden_value(html, "_pw_page")
        if not seen or seen[-1] != page:
            seen.append(page)
        if pages is not None:
            pages[page] = html
        posted = client.post(url, page_post(html, answers.get(page, {}), "next"))
        assert posted.status_code == 303, posted.content.decode()[:2000]
        html = client.get(url).content.decode()
    return seen


HOUSEHOLD = {
    "consent": {"consent": ["yes"]},
    "hh": {"hh_size": ["3"]},
    "hh_members": {
        "hh_members:1:m_initials": ["NB"],
        "hh_members:1:m_age": ["41"],
        "hh_members:2:m_initials": ["LB"],
        "hh_members:2:m_age": ["7"],
    },
    "hh#2": {"all_listed": ["yes"], "hh_head": ["no"]},
    "wash": {"water": ["yes"]},
    "food": {},
}


def test_the_roster_in_a_section_is_asked_in_place_under_its_groups_titles(
    tmp_path: Path,
) -> None:
    wave = _wave(inner_roster_form(tmp_path / "f.xlsx"))
    html: dict[str, str] = {}
    # Household of three: the roster (two others) between the two parts of `hh`.
    assert _walk(wave, HOUSEHOLD, html) == ["consent", "hh", "hh_members", "hh#2", "wash", "food"]
    roster = html["hh_members"]
    assert '<span class="group-chain-title">Household</span>' in roster
    assert '<span class="group-chain-title">Household members</span>' in roster
    assert roster.count('class="roster-entry"') == 2
    # A fixed count: no add or remove buttons.
    assert "roster-add" not in roster
    assert "roster-remove" not in roster
    # The second part of `hh` has the group's title and the section it goes on with.
    assert "<h1>Household</h1>" in html["hh#2"]
    assert "Is everyone listed?" in html["hh#2"]

    # Alone: the section's relevant hides the roster and the section's item after it.
    alone = {**HOUSEHOLD, "hh": {"hh_size": ["1"]}, "hh#2": {"hh_head": ["yes"]}}
    assert _walk(wave, alone, html) == ["consent", "hh", "hh#2", "wash", "food"]
    assert "Is everyone listed?" not in html["hh#2"]
    # No consent: the household group hides all three of its pages.
    assert _walk(wave, {**HOUSEHOLD, "consent": {"consent": ["no"]}}) == [
        "consent",
        "wash",
        "food",
    ]

    first, second, third = (r.answers for r in Response.objects.filter(wave=wave).order_by("pk"))
    assert first["hh_members"] == [
        {"m_initials": "NB", "m_age": 41, "m_pos": 1},
        {"m_initials": "LB", "m_age": 7, "m_pos": 2},
    ]
    assert (first["all_listed"], first["hh_head"]) == ("yes", "no")
    assert not second.get("hh_members")
    assert "all_listed" not in second
    assert "hh_size" not in third
    assert Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETED).count() == 3

    # Exported: the roster is its own table, read back from SPSS.
    out = _export(wave, tmp_path / "sav", "sav")
    entries, meta = pyreadstat.read_sav(str(out / "data-hh_members.sav"))
    assert entries["m_age"].tolist() == [41.0, 7.0]
    assert entries["entry"].tolist() == [1.0, 2.0]
    assert meta.column_names_to_labels["m_age"] == "Age"


def test_the_roster_amid_a_group_comes_between_its_parts_and_adds_entries(
    tmp_path: Path,
) -> None:
    wave = _wave(amid_roster_form(tmp_path / "f.xlsx"), "amid")
    answers = {
        "work": {"employed": ["yes"]},
        "jobs": {"jobs:1:job_title": ["Teacher"]},
        "work#2": {"hours": ["30"], "more_work": ["no"]},
        "end_sec": {"right": ["yes"]},
    }
    html: dict[str, str] = {}
    assert _walk(wave, answers, html) == ["work", "jobs", "work#2", "end_sec"]
    assert '<span class="group-chain-title">Work</span>' in html["jobs"]
    assert "roster-add" in html["jobs"]
    unemployed = {**answers, "work": {"employed": ["no"]}}
    assert _walk(wave, unemployed) == ["work", "work#2", "end_sec"]
    answered = [r.answers for r in Response.objects.filter(wave=wave).order_by("pk")]
    assert answered[0]["jobs"] == [{"job_title": "Teacher"}]
    assert answered[0]["hours"] == 30
    assert not answered[1].get("jobs")


def test_a_roster_without_add_and_remove_shows_its_entries_and_no_buttons(
    tmp_path: Path,
) -> None:
    survey = [
        *AMID_SURVEY[:3],
        row("begin repeat", "jobs", "Jobs", no_add_remove="true()", parameters="min=2"),
        *AMID_SURVEY[4:],
    ]
    wave = _wave(inner_roster_form(tmp_path / "f.xlsx", survey), "locked")
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    html = client.get(url).content.decode()
    client.post(url, page_post(html, {"employed": ["yes"]}, "next"))
    html = client.get(url).content.decode()
    assert hidden_value(html, "_pw_page") == "jobs"
    assert html.count('class="roster-entry"') == 2
    assert "roster-add" not in html
    assert "roster-remove" not in html
    # A crafted "add" changes nothing: the count is the form's.
    posted = client.post(url, page_post(html, {"jobs:1:job_title": ["A"]}, "roster:add"))
    assert posted.status_code == 303
    html = client.get(url).content.decode()
    assert html.count('class="roster-entry"') == 2
    # Both entries are needed (they are required items), then the form goes on.
    both = {"jobs:1:job_title": ["A"], "jobs:2:job_title": ["B"]}
    client.post(url, page_post(html, both, "next"))
    html = client.get(url).content.decode()
    assert hidden_value(html, "_pw_page") == "work#2"
    response = Response.objects.get(wave=wave)
    assert response.answers["jobs"] == [{"job_title": "A"}, {"job_title": "B"}]


def test_imported_rows_fill_a_roster_without_add_and_remove_up_to_its_entries(
    tmp_path: Path,
) -> None:
    survey = [
        *AMID_SURVEY[:3],
        row("begin repeat", "jobs", "Jobs", no_add_remove="true()", parameters="min=2"),
        *AMID_SURVEY[4:],
    ]
    wave = _wave(inner_roster_form(tmp_path / "f.xlsx", survey), "imported")
    start, end = "2026-01-01T10:00:00+00:00", "2026-01-01T10:09:00+00:00"
    header = "source_id,started_at,completed_at,employed,job_title_1,job_title_2,job_title_3"
    header += ",hours,more_work,right"
    lines = [
        header,
        f"two,{start},{end},yes,Teacher,Driver,,30,no,yes",
        f"three,{start},{end},yes,Teacher,Driver,Cook,30,no,yes",
    ]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = import_responses(wave, path)

    assert (result.imported, result.rejected) == (1, 1)
    assert [(e.row, e.reason) for e in result.errors] == [
        (
            3,
            "roster 'jobs': entry 3 is filled, but the roster has 2 entries, to which none "
            "can be added (jr:noAddRemove)",
        )
    ]
    stored = Response.objects.get(wave=wave, source_id="two").answers
    assert stored["jobs"] == [{"job_title": "Teacher"}, {"job_title": "Driver"}]


def _export(wave: Wave, directory: Path, fmt: str) -> Path:
    spec = ExportSpec(
        study_id=wave.study_id,
        wave_ids=(wave.pk,),
        sample="combined",
        layout="long",
        k=1,
        include_flagged=True,
        language="en",
        pseudonym_key=b"n" * 32,
    )
    about = ExportDescription(
        study="inner", format=fmt, sample="combined", layout="long", waves=("w1",),
        language="en", k=1, include_flagged=True, created_at=pd.Timestamp.now(tz="UTC"),
    )  # fmt: skip
    directory.mkdir()
    write_rosters(build_dataset(spec), fmt, about, directory, basename="data")
    return directory
