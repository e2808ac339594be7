"""A household roster written for the repeat tests (an XLSForm built with openpyxl): the
members' name, age and relation, a relevant and two calculations inside the repeat, and
count()/sum() of the repeat outside it."""

from __future__ import annotations

from pathlib import Path

from tests.surveys.forms import write_form

HEAD = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "parameters",
    "repeat_count",
    "privacy",
]


def _row(kind: str, name: str, label: str = "", **cells: str) -> list[str]:
    values = {"type": kind, "name": name, "label": label, **cells}
    return [values.get(column, "") for column in HEAD]


ROSTER_SURVEY = [
    HEAD,
    _row("begin group", "intro", "About your household"),
    _row("text", "city", "Where do you live?", required="yes"),
    _row("end group", ""),
    _row("begin repeat", "members", "Household members", parameters="min=1 max=4"),
    _row("text", "m_name", "First name or initials", required="yes", privacy="identifier"),
    _row(
        "integer",
        "m_age",
        "Age of ${m_name}",
        required="yes",
        constraint=". >= 0 and . <= 120",
    ),
    _row("select_one relation", "m_rel", "How is ${m_name} related to you?", required="yes"),
    _row("text", "m_school", "Which school does ${m_name} attend?", relevant="${m_age} < 18"),
    _row("calculate", "m_adult", calculation="if(${m_age} >= 18, 1, 0)"),
    _row("calculate", "m_pos", calculation="position(..)"),
    _row("end repeat", ""),
    _row("calculate", "n_members", calculation="count(${members})"),
    _row("calculate", "n_adults", calculation="sum(${m_adult})"),
    _row("begin group", "check", "Check"),
    _row("note", "summary", "You listed ${n_members} people, ${n_adults} of them adults."),
    _row("select_one yesno", "right", "Is that right?", required="yes"),
    _row("end group", ""),
]
ROSTER_CHOICES = [
    ["list_name", "name", "label"],
    ["relation", "partner", "Partner"],
    ["relation", "child", "Child"],
    ["relation", "parent", "Parent"],
    ["relation", "other", "Someone else"],
    ["yesno", "yes", "Yes"],
    ["yesno", "no", "No"],
]


def roster_form(path: Path, survey: list[list[str]] | None = None) -> Path:
    return write_form(path, survey or ROSTER_SURVEY, ROSTER_CHOICES)
