"""XLSForm repeats read, checked and written back: a roster page with its count rule;
nested repeats and repeats inside inner groups refused with their place named (rosters
in a top-level group: test_xlsform_grouped_repeats.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveys.diff import diff_forms
from surveys.formjson import read_json, write_json
from surveys.formspec import FormError
from surveys.repeats import RepeatSpec
from surveys.services.questionnaires import export_questionnaire, import_questionnaire
from surveys.xlsform import read_xlsform, write_xlsform
from tests.builders import make_study
from tests.surveys.roster_forms import HEAD, ROSTER_SURVEY, _row, roster_form


def _with_begin(**cells: str) -> list[list[str]]:
    survey = [list(row) for row in ROSTER_SURVEY]
    begin = next(row for row in survey if row[0] == "begin repeat")
    for column, value in cells.items():
        begin[HEAD.index(column)] = value
    return survey


def test_a_roster_reads_as_a_page_with_its_bounds_and_round_trips(tmp_path: Path) -> None:
    form = read_xlsform(roster_form(tmp_path / "r.xlsx"))
    page = next(p for p in form.pages if p.name == "members")
    assert page.repeat == RepeatSpec(min_count=1, max_count=4)
    assert [q.name for q in page.questions] == [
        "m_name",
        "m_age",
        "m_rel",
        "m_school",
        "m_adult",
        "m_pos",
    ]
    assert page.labels == {"default": "Household members"}
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form
    write_json(form, tmp_path / "out.json")
    assert read_json(tmp_path / "out.json") == form


@pytest.mark.django_db
def test_a_roster_survives_the_database_and_exports_exactly(tmp_path: Path) -> None:
    path = roster_form(tmp_path / "r.xlsx", _with_begin(parameters="", repeat_count="3"))
    result = import_questionnaire(path, study=make_study("rt", languages=("en",)))
    out = export_questionnaire(result.version.pk, format="xlsform", out=tmp_path / "out.xlsx")
    back = read_xlsform(out)
    assert back == read_xlsform(path)
    assert next(p for p in back.pages if p.name == "members").repeat == RepeatSpec(count="3")


@pytest.mark.parametrize("column", ["jr:count", "count", "repeat_count"])
def test_the_count_columns_pyxform_knows_are_read(tmp_path: Path, column: str) -> None:
    survey = _with_begin(parameters="", repeat_count="")
    survey[0] = [column if h == "repeat_count" else h for h in survey[0]]
    survey.insert(1, _row("integer", "hh_size", "How many?"))
    begin = next(row for row in survey if row[0] == "begin repeat")
    begin[survey[0].index(column)] = "${hh_size}"
    form = read_xlsform(roster_form(tmp_path / "r.xlsx", survey))
    assert next(p for p in form.pages if p.name == "members").repeat == RepeatSpec(
        count="${hh_size}"
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"parameters": "min=2 max=x"},
            "row 5, column parameters: parameter 'max=x' of a repeat is not min=N or max=N",
        ),
        ({"parameters": "min=5 max=2"}, "the repeat's min (5) is greater than its max (2)"),
        (
            {"parameters": "min=1", "repeat_count": "3"},
            "a repeat with a repeat_count cannot also have min or max",
        ),
        (
            {"parameters": "", "repeat_count": "${nowhere}"},
            "refers to ${nowhere}, which is not an item",
        ),
    ],
)
def test_a_bad_count_rule_is_refused_naming_it(
    tmp_path: Path, cells: dict[str, str], message: str
) -> None:
    with pytest.raises(FormError, match=re.escape(message)):
        read_xlsform(roster_form(tmp_path / "r.xlsx", _with_begin(**cells)))


NESTED = [
    HEAD,
    _row("begin repeat", "members", "Members"),
    _row("text", "m_name", "Name"),
    _row("begin repeat", "jobs", "Jobs"),
    _row("text", "job", "Job"),
    _row("end repeat", ""),
    _row("end repeat", ""),
    _row("text", "after", "After"),
]
IN_INNER_GROUP = [
    HEAD,
    _row("begin group", "household", "Household"),
    _row("begin group", "people", "People"),
    _row("text", "head", "Head"),
    _row("begin repeat", "members", "Members"),
    _row("text", "m_name", "Name"),
    _row("end repeat", ""),
    _row("end group", ""),
    _row("end group", ""),
]


def test_a_repeat_inside_a_repeat_is_refused_naming_both(tmp_path: Path) -> None:
    with pytest.raises(FormError, match="row 4, column type: repeat 'jobs' is inside repeat"):
        read_xlsform(roster_form(tmp_path / "r.xlsx", NESTED))
    # Under --skip-unsupported the inner repeat goes with its items; the outer one stays.
    form = read_xlsform(roster_form(tmp_path / "r.xlsx", NESTED), skip_unsupported=True)
    assert [p.name for p in form.pages] == ["members", "after"]
    assert [item.name for item in form.skipped] == ["jobs", "job"]


def test_a_repeat_inside_an_inner_group_reads_inside_both_groups(tmp_path: Path) -> None:
    form = read_xlsform(roster_form(tmp_path / "r.xlsx", IN_INNER_GROUP))
    # `household` holds all the form, so it is a wrapper: its group `people` is the page,
    # and the roster stays inside `people` (tests/surveys/test_xlsform_inner_repeats.py).
    assert [p.name for p in form.pages] == ["people", "members"]
    assert [g.path for g in form.pages[1].groups] == ["people"]
    assert form.skipped == ()


def test_an_unclosed_repeat_is_named(tmp_path: Path) -> None:
    with pytest.raises(FormError, match="repeat 'members' is never closed with 'end repeat'"):
        read_xlsform(roster_form(tmp_path / "r.xlsx", NESTED[:3]))


def test_a_changed_count_rule_is_a_change_of_the_roster_page(tmp_path: Path) -> None:
    old = read_xlsform(roster_form(tmp_path / "old.xlsx"))
    new = read_xlsform(roster_form(tmp_path / "new.xlsx", _with_begin(parameters="min=1 max=6")))
    pages = diff_forms(old, new).as_dict()["pages"]
    assert isinstance(pages, dict)
    assert pages["changed"] == [
        {
            "name": "members",
            "changes": [
                {
                    "field": "repeat",
                    "old": {"count": "", "min": 1, "max": 4},
                    "new": {"count": "", "min": 1, "max": 6},
                }
            ],
            "stale_translations": [],
        }
    ]
