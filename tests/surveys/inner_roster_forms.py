"""Forms with rosters nested as multi-sector needs assessments nest them (XLSForms built
with openpyxl, written for these tests): the household roster inside a section group
inside the household group, a roster amid a group's items, and a roster whose add and
remove are switched off (`body::jr:noAddRemove`).

INNER_SURVEY: consent; `hh` (shown after consent) holds the household size, then the
section `hh_roster_sec` (shown for households of two or more) holding a note, the members'
roster and one item after it; then `hh` goes on with an item after the section; `wash`
and `food` follow (so `hh` holds less than half the form and is a page, not a wrapper).
"""

from __future__ import annotations

from pathlib import Path

from tests.surveys.forms import write_form

HEAD = [
    "type",
    "name",
    "label",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "parameters",
    "repeat_count",
    "body::jr:noAddRemove",
    "privacy",
]


def row(kind: str, name: str, label: str = "", **cells: str) -> list[str]:
    values = {"type": kind, "name": name, "label": label, **cells}
    values["body::jr:noAddRemove"] = values.pop("no_add_remove", "")
    return [values.get(column, "") for column in HEAD]


INNER_SURVEY = [
    HEAD,
    row("select_one yesno", "consent", "Do you agree to take part?", required="yes"),
    row("begin group", "hh", "Household", relevant="${consent} = 'yes'"),
    row("integer", "hh_size", "How many people live in your household?", required="yes"),
    row(
        "begin group",
        "hh_roster_sec",
        "Household members",
        relevant="${hh_size} > 1",
    ),
    row("note", "roster_note", "Please list everyone who lives with you."),
    row("begin repeat", "hh_members", "Members", repeat_count="${hh_size} - 1"),
    row("text", "m_initials", "Initials of member ${m_pos}", required="yes"),
    row("integer", "m_age", "Age", required="yes", constraint=". >= 0 and . <= 120"),
    row("calculate", "m_pos", calculation="position(..)"),
    row("end repeat", ""),
    row("select_one yesno", "all_listed", "Is everyone listed?", required="yes"),
    row("end group", ""),
    row("select_one yesno", "hh_head", "Are you the head of the household?", required="yes"),
    row("end group", ""),
    row("begin group", "wash", "Water"),
    row("select_one yesno", "water", "Do you have enough water?", required="yes"),
    row("select_one yesno", "water_safe", "Is it safe to drink?"),
    row("select_one yesno", "latrine", "Do you have a latrine?"),
    row("end group", ""),
    row("begin group", "food", "Food"),
    row("integer", "meals", "How many meals did adults eat yesterday?"),
    row("integer", "meals_children", "And children?"),
    row("select_one yesno", "borrowed", "Did you borrow food last month?"),
    row("select_one yesno", "aid", "Did you receive food aid?"),
    row("end group", ""),
]

# A roster amid a group's items: `work` asks one item, then the jobs roster, then two
# more items, all inside the one group on the sheet.
AMID_SURVEY = [
    HEAD,
    row("begin group", "work", "Work"),
    row("select_one yesno", "employed", "Do you have paid work?", required="yes"),
    row(
        "begin repeat",
        "jobs",
        "Jobs",
        relevant="${employed} = 'yes'",
        parameters="min=1 max=3",
    ),
    row("text", "job_title", "What is the job?", required="yes"),
    row("end repeat", ""),
    row("integer", "hours", "How many hours a week do you work in all?"),
    row("select_one yesno", "more_work", "Would you like to work more?", required="yes"),
    row("end group", ""),
    row("begin group", "end_sec", "Last page"),
    row("select_one yesno", "right", "Is all that right?", required="yes"),
    row("end group", ""),
]

CHOICES = [
    ["list_name", "name", "label"],
    ["yesno", "yes", "Yes"],
    ["yesno", "no", "No"],
]


def inner_roster_form(path: Path, survey: list[list[str]] | None = None) -> Path:
    return write_form(path, survey or INNER_SURVEY, CHOICES)


def amid_roster_form(path: Path) -> Path:
    return write_form(path, AMID_SURVEY, CHOICES)
