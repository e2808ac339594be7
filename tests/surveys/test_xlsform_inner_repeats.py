"""Rosters nested as real Kobo forms nest them: a repeat inside a group inside a group, a
repeat amid a group's items (the group asked in parts around it), and `jr:noAddRemove`.
Each reads where the author put it, with its groups' titles and `relevant`, its names and
paths resolved from its place inside them, and the XLSForm and JSON round trips are exact,
down to the rows written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyxform import create_survey_from_xls

from respondents.services.form_schema import load_form
from surveys.formjson import read_json, write_json
from surveys.formspec import FormError
from surveys.services.questionnaires import export_questionnaire, import_questionnaire
from surveys.xlsform import read_xlsform, write_xlsform
from tests.builders import make_study
from tests.surveys.inner_roster_forms import (
    AMID_SURVEY,
    INNER_SURVEY,
    amid_roster_form,
    inner_roster_form,
    row,
)
from tests.surveys.roster_forms import HEAD as ROSTER_HEAD
from tests.surveys.roster_forms import _row as roster_row
from tests.surveys.roster_forms import roster_form


def _written(path: Path) -> list[tuple[str, str]]:
    sheet = load_workbook(path)["survey"]
    return [(str(r[0]), str(r[1] or "")) for r in sheet.iter_rows(min_row=2, values_only=True)]


def _sheet(survey: list[list[str]]) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in survey[1:]]


def test_a_roster_in_a_section_of_a_group_reads_inside_both_with_their_titles(
    tmp_path: Path,
) -> None:
    form = read_xlsform(inner_roster_form(tmp_path / "f.xlsx"))
    pages = {page.name: page for page in form.pages}
    # The roster is asked where it sits: `hh` up to it, the roster, then the rest of `hh`.
    assert list(pages) == ["consent", "hh", "hh_members", "hh#2", "wash", "food"]
    members = pages["hh_members"]
    assert [(g.path, g.labels) for g in members.groups] == [
        ("hh", {"default": "Household"}),
        ("hh/hh_roster_sec", {"default": "Household members"}),
    ]
    # Both groups' relevant, outermost first, before the roster's own (none here).
    assert members.relevant == "(${consent} = 'yes') and (${hh_size} > 1)"
    assert members.repeat is not None
    assert members.repeat.count == "${hh_size} - 1"
    # Each part of `hh` keeps the group's title, relevant and the sections it uses.
    first, rest = pages["hh"], pages["hh#2"]
    assert [q.name for q in first.questions] == ["hh_size", "roster_note"]
    assert [q.name for q in rest.questions] == ["all_listed", "hh_head"]
    assert first.labels == rest.labels == {"default": "Household"}
    assert first.relevant == rest.relevant == "${consent} = 'yes'"
    assert [s.path for s in rest.sections] == ["hh_roster_sec"]
    assert {q.name: q.section for q in rest.questions} == {
        "all_listed": "hh_roster_sec",
        "hh_head": "",
    }


@pytest.mark.parametrize(
    ("_case", "make", "survey"),
    [
        ("inner group", inner_roster_form, INNER_SURVEY),
        ("amid a group", amid_roster_form, AMID_SURVEY),
    ],
)
def test_nested_rosters_are_written_back_as_the_author_wrote_them(
    _case, make, survey, tmp_path: Path
) -> None:
    form = read_xlsform(make(tmp_path / "f.xlsx"))
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form
    # One group per group of the sheet, in the same rows: nothing is split on paper.
    assert _written(tmp_path / "out.xlsx") == _sheet(survey)
    write_json(form, tmp_path / "out.json")
    assert read_json(tmp_path / "out.json") == form


def test_the_written_form_still_converts_with_pyxform(tmp_path: Path) -> None:
    form = read_xlsform(inner_roster_form(tmp_path / "f.xlsx"))
    write_xlsform(form, tmp_path / "out.xlsx")
    xml = create_survey_from_xls(str(tmp_path / "out.xlsx")).to_xml()
    # The repeat is inside both groups in the XForm ODK and Kobo read.
    assert 'nodeset="/data/hh/hh_roster_sec/hh_members"' in xml


def test_the_amid_roster_is_between_the_parts_of_its_group(tmp_path: Path) -> None:
    form = read_xlsform(amid_roster_form(tmp_path / "f.xlsx"))
    assert [(p.name, [q.name for q in p.questions]) for p in form.pages] == [
        ("work", ["employed"]),
        ("jobs", ["job_title"]),
        ("work#2", ["hours", "more_work"]),
        ("end_sec", ["right"]),
    ]
    jobs = form.pages[1]
    assert [g.path for g in jobs.groups] == ["work"]
    assert jobs.relevant == "${employed} = 'yes'"


def test_a_wrapper_around_a_group_holding_a_roster_leaves_the_roster_in_that_group(
    tmp_path: Path,
) -> None:
    # `survey` holds the whole form: it is split, `household` becomes the page, and the
    # roster inside `household/people` keeps `household` and `people` around it, the
    # wrapper's relevant moved into `household` as it is on `household`'s page.
    survey = [
        ROSTER_HEAD,
        roster_row("begin group", "survey", "Survey", relevant="1 = 1"),
        roster_row("begin group", "intro", "Intro"),
        roster_row("text", "city", "City"),
        roster_row("text", "country", "Country"),
        roster_row("integer", "years", "Years there"),
        roster_row("end group", ""),
        roster_row("begin group", "household", "Household", relevant="${city} != ''"),
        roster_row("begin group", "people", "People"),
        roster_row("text", "head", "Head"),
        roster_row("begin repeat", "members", "Members", relevant="${head} != 'x'"),
        roster_row("text", "m_name", "Name"),
        roster_row("end repeat", ""),
        roster_row("end group", ""),
        roster_row("end group", ""),
        roster_row("end group", ""),
    ]
    form = read_xlsform(roster_form(tmp_path / "w.xlsx", survey))
    pages = {page.name: page for page in form.pages}
    assert list(pages) == ["intro", "household", "members"]
    members = pages["members"]
    assert [(g.path, g.relevant) for g in members.groups] == [
        ("household", "(1 = 1) and (${city} != '')"),
        ("household/people", ""),
    ]
    assert pages["household"].relevant == members.groups[0].relevant
    assert members.relevant == "((1 = 1) and (${city} != '')) and (${head} != 'x')"
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form


def test_no_add_remove_is_read_kept_and_written_back(tmp_path: Path) -> None:
    survey = [
        *AMID_SURVEY[:3],
        row("begin repeat", "jobs", "Jobs", no_add_remove="true()", parameters="min=2"),
        *AMID_SURVEY[4:],
    ]
    path = inner_roster_form(tmp_path / "f.xlsx", survey)
    form = read_xlsform(path)
    jobs = next(p for p in form.pages if p.name == "jobs")
    assert jobs.repeat is not None
    assert (jobs.repeat.no_add_remove, jobs.repeat.is_locked, jobs.repeat.first_count) == (
        True,
        True,
        2,
    )
    write_xlsform(form, tmp_path / "out.xlsx")
    again = read_xlsform(tmp_path / "out.xlsx")
    assert again == form
    sheet = load_workbook(tmp_path / "out.xlsx")["survey"]
    header = [cell.value for cell in sheet[1]]
    begin = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "jobs")
    assert begin[header.index("body::jr:noAddRemove")] == "true()"
    # pyxform puts it on the <repeat> ODK and Kobo draw.
    xml = create_survey_from_xls(str(tmp_path / "out.xlsx")).to_xml()
    assert 'jr:noAddRemove="true()"' in xml
    write_json(form, tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text())["pages"][1]["repeat"] == {
        "count": "",
        "min": 2,
        "max": 0,
        "no_add_remove": True,
    }
    assert read_json(tmp_path / "out.json") == form


def test_a_no_add_remove_that_is_not_true_or_false_is_refused_naming_its_cell(
    tmp_path: Path,
) -> None:
    survey = [*AMID_SURVEY[:3], row("begin repeat", "jobs", "Jobs", no_add_remove="maybe")]
    with pytest.raises(FormError) as caught:
        read_xlsform(inner_roster_form(tmp_path / "f.xlsx", [*survey, *AMID_SURVEY[4:]]))
    assert str(caught.value) == (
        "f.xlsx: row 4, column body::jr:noAddRemove: jr:noAddRemove 'maybe' is not true() or false()"
    )


@pytest.mark.django_db
def test_nested_rosters_survive_the_database_and_export_exactly(tmp_path: Path) -> None:
    study = make_study("inner", languages=("en",))
    for make in (inner_roster_form, amid_roster_form):
        path = make(tmp_path / f"{make.__name__}.xlsx")
        version = import_questionnaire(path, study=study).version
        out = export_questionnaire(version.pk, format="xlsform", out=tmp_path / "out.xlsx")
        assert read_xlsform(out) == read_xlsform(path)
        back = export_questionnaire(version.pk, format="json", out=tmp_path / "out.json")
        assert read_json(back) == read_xlsform(path)


def test_a_json_file_with_one_group_around_a_roster_still_reads(tmp_path: Path) -> None:
    # Files written before groups nested hold a roster's one group as `group`.
    form = read_xlsform(amid_roster_form(tmp_path / "f.xlsx"))
    write_json(form, tmp_path / "new.json")
    document = json.loads((tmp_path / "new.json").read_text())
    jobs = document["pages"][1]
    jobs["group"] = jobs.pop("groups")[0]
    (tmp_path / "old.json").write_text(json.dumps(document))
    assert read_json(tmp_path / "old.json") == form


def test_a_group_with_two_rosters_amid_its_items_is_asked_in_three_parts(tmp_path: Path) -> None:
    survey = [
        row("begin group", "hh", "Household"),
        row("integer", "size", "Size"),
        row("begin repeat", "adults", "Adults"),
        row("text", "a_name", "Name"),
        row("end repeat", ""),
        row("begin repeat", "pets", "Pets"),
        row("text", "p_name", "Name"),
        row("end repeat", ""),
        row("text", "middle", "Middle"),
        row("begin group", "more", "More"),
        row("begin repeat", "children", "Children"),
        row("text", "c_name", "Name"),
        row("end repeat", ""),
        row("text", "last", "Last"),
        row("end group", ""),
        row("end group", ""),
        row("begin group", "end_sec", "End"),
        row("text", "e1", "One"),
        row("text", "e2", "Two"),
        row("text", "e3", "Three"),
        row("text", "e4", "Four"),
        row("text", "e5", "Five"),
        row("text", "e6", "Six"),
        row("end group", ""),
    ]
    # (`end_sec` is as long as `hh`, so `hh` is not a wrapper: it stays one group.)
    sheet = [AMID_SURVEY[0], *survey]
    form = read_xlsform(inner_roster_form(tmp_path / "f.xlsx", sheet))
    assert [(p.name, [q.name for q in p.questions]) for p in form.pages] == [
        ("hh", ["size"]),
        ("adults", ["a_name"]),
        ("pets", ["p_name"]),
        ("hh#2", ["middle"]),
        ("children", ["c_name"]),
        ("hh#3", ["last"]),
        ("end_sec", ["e1", "e2", "e3", "e4", "e5", "e6"]),
    ]
    assert [g.path for g in form.pages[4].groups] == ["hh", "hh/more"]
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form
    assert _written(tmp_path / "out.xlsx") == _sheet(sheet)


@pytest.mark.django_db
def test_a_roster_in_groups_reads_names_and_paths_from_where_it_sits(tmp_path: Path) -> None:
    # `size` is asked twice, in `hh` and in `food`: inside the roster, ${size} is the
    # nearer one (`hh`'s), as ODK resolves it, and `../../../size` climbs from the item
    # through the roster and `sec` to `hh`.
    survey = [
        AMID_SURVEY[0],
        row("begin group", "hh", "Household"),
        row("integer", "size", "Size"),
        row("begin group", "sec", "Members"),
        row("begin repeat", "members", "Members", repeat_count="${size}"),
        row("integer", "m_age", "Age", constraint=". < ${size} * 50"),
        row("calculate", "m_of", calculation="../../../size"),
        row("end repeat", ""),
        row("end group", ""),
        row("end group", ""),
        row("begin group", "food", "Food"),
        row("integer", "size", "Portion size"),
        row("integer", "meals", "Meals"),
        row("integer", "snacks", "Snacks"),
        row("end group", ""),
    ]
    path = inner_roster_form(tmp_path / "f.xlsx", survey)
    form = read_xlsform(path)
    members = next(p for p in form.pages if p.name == "members")
    assert [q.name for q in form.questions() if q.xlsform_name == "size"] == [
        "hh_size",
        "food_size",
    ]
    assert [g.path for g in members.groups] == ["hh", "hh/sec"]

    # The respondent form evaluates them resolved to the export names meant.
    study = make_study("paths", languages=("en",))
    version = import_questionnaire(path, study=study).version
    page = load_form(version).page("members")
    assert page is not None
    by_name = {q.name: q for q in page.questions}
    assert by_name["m_age"].constraint == ". < ${hh_size} * 50"
    assert by_name["m_of"].calculation == "${hh_size}"
