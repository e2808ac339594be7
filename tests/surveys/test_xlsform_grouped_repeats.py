"""Repeats inside groups: the roster is a page of its own at its place among the group's
pages, the group's relevant joined to its own, and written back inside its group so the
XLSForm round trip is exact."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from surveys.formjson import read_json, write_json
from surveys.formspec import FormError
from surveys.services.questionnaires import export_questionnaire, import_questionnaire
from surveys.xlsform import read_xlsform, write_xlsform
from tests.builders import make_study
from tests.surveys.grouped_roster_forms import grouped_roster_form
from tests.surveys.roster_forms import HEAD, _row, roster_form


def _written(path: Path) -> list[tuple[str, str]]:
    sheet = load_workbook(path)["survey"]
    return [(str(r[0]), str(r[1] or "")) for r in sheet.iter_rows(min_row=2, values_only=True)]


def test_a_kobo_form_with_rosters_in_groups_reads_each_roster_at_its_place(
    tmp_path: Path,
) -> None:
    form = read_xlsform(grouped_roster_form(tmp_path / "g.xlsx"))
    pages = {page.name: page for page in form.pages}
    # The wrapper is split; its roster sits between the groups around it on the sheet.
    assert list(pages) == ["intro", "members", "health", "travel", "trips", "check"]
    assert any("group 'survey' holds most of the form" in w for w in form.warnings)
    members = pages["members"]
    assert members.groups == ()
    assert members.relevant == "1 = 1"
    assert [q.name for q in members.questions] == ["m_name", "m_age"]
    # A roster in a group that stays a page: the group's relevant comes first.
    trips = pages["trips"]
    assert trips.relevant == "(${travelled} = 'yes') and (${city} != 'none')"
    assert [(g.path, g.labels) for g in trips.groups] == [("travel", {"default": "Your travels"})]
    assert [q.name for q in pages["travel"].questions] == ["why"]


def test_rosters_in_groups_round_trip_exactly_written_inside_their_group(tmp_path: Path) -> None:
    form = read_xlsform(grouped_roster_form(tmp_path / "g.xlsx"))
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form
    rows = _written(tmp_path / "out.xlsx")
    travel = rows.index(("begin group", "travel"))
    assert rows[travel : travel + 7] == [
        ("begin group", "travel"),
        ("text", "why"),
        ("begin repeat", "trips"),
        ("text", "t_place"),
        ("integer", "t_days"),
        ("end repeat", ""),
        ("end group", ""),
    ]
    sheet = load_workbook(tmp_path / "out.xlsx")["survey"]
    header = [cell.value for cell in sheet[1]]
    begin = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "trips")
    # The repeat keeps its own relevant; the group's stays on the group's row.
    assert begin[header.index("relevant")] == "${city} != 'none'"
    write_json(form, tmp_path / "out.json")
    assert read_json(tmp_path / "out.json") == form


@pytest.mark.django_db
def test_rosters_in_groups_survive_the_database_and_export_exactly(tmp_path: Path) -> None:
    path = grouped_roster_form(tmp_path / "g.xlsx")
    result = import_questionnaire(path, study=make_study("grouped", languages=("en",)))
    out = export_questionnaire(result.version.pk, format="xlsform", out=tmp_path / "out.xlsx")
    assert read_xlsform(out) == read_xlsform(path)


FIRST_IN_GROUP = [
    HEAD,
    _row("begin group", "household", "Household", relevant="${consent} = 'yes'"),
    _row("begin repeat", "members", "Members"),
    _row("text", "m_name", "Name"),
    _row("end repeat", ""),
    _row("begin repeat", "pets", "Pets"),
    _row("text", "p_name", "Name"),
    _row("end repeat", ""),
    _row("text", "head", "Head"),
    _row("end group", ""),
]


def test_rosters_opening_a_group_come_before_its_page_and_stay_in_one_group(
    tmp_path: Path,
) -> None:
    consent = [HEAD, _row("select_one yesno", "consent", "Agree?"), *FIRST_IN_GROUP[1:]]
    form = read_xlsform(roster_form(tmp_path / "r.xlsx", consent))
    assert [p.name for p in form.pages] == ["consent", "members", "pets", "household"]
    assert {p.name: p.relevant for p in form.pages}["pets"] == "${consent} = 'yes'"
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form
    # One `household` group holds both rosters and the item, as the author wrote it.
    assert [name for kind, name in _written(tmp_path / "out.xlsx") if kind == "begin group"] == [
        "household"
    ]


def test_a_repeat_in_a_roster_in_a_group_is_still_refused(tmp_path: Path) -> None:
    nested = [
        *FIRST_IN_GROUP[:3],
        _row("begin repeat", "jobs", "Jobs"),
        _row("text", "job", "Job"),
        _row("end repeat", ""),
        *FIRST_IN_GROUP[3:],
    ]
    with pytest.raises(FormError, match="repeat 'jobs' is inside repeat 'members'"):
        read_xlsform(roster_form(tmp_path / "r.xlsx", nested))
