"""A Kobo-style form with rosters inside groups (an XLSForm built with openpyxl): a
wrapper group around most of the questionnaire holding a household roster between its
groups, and after it a `travel` group with a `relevant` holding a question and a roster
of trips with a `relevant` of its own."""

from __future__ import annotations

from pathlib import Path

from tests.surveys.forms import write_form
from tests.surveys.roster_forms import HEAD, _row

GROUPED_SURVEY = [
    HEAD,
    _row("begin group", "survey", "Household survey", relevant="1 = 1"),
    _row("begin group", "intro", "About you"),
    _row("text", "city", "Where do you live?", required="yes"),
    _row("select_one yesno", "travelled", "Did you travel this year?", required="yes"),
    _row("end group", ""),
    _row("begin repeat", "members", "Household members", parameters="min=1 max=4"),
    _row("text", "m_name", "First name or initials", required="yes", privacy="identifier"),
    _row("integer", "m_age", "Age of ${m_name}", required="yes"),
    _row("end repeat", ""),
    _row("begin group", "health", "Health"),
    _row("select_one yesno", "insured", "Is everyone insured?", required="yes"),
    _row("integer", "visits", "How many doctor visits this year?"),
    _row("end group", ""),
    _row("end group", ""),
    _row("begin group", "travel", "Your travels", relevant="${travelled} = 'yes'"),
    _row("text", "why", "Why did you travel?", required="yes"),
    _row("begin repeat", "trips", "Trips", parameters="max=3", relevant="${city} != 'none'"),
    _row("text", "t_place", "Where did you go?", required="yes"),
    _row("integer", "t_days", "For how many days?", required="yes"),
    _row("end repeat", ""),
    _row("end group", ""),
    _row("begin group", "check", "Check"),
    _row("select_one yesno", "right", "Is all that right?", required="yes"),
    _row("end group", ""),
]
GROUPED_CHOICES = [
    ["list_name", "name", "label"],
    ["yesno", "yes", "Yes"],
    ["yesno", "no", "No"],
]


def grouped_roster_form(path: Path, survey: list[list[str]] | None = None) -> Path:
    return write_form(path, survey or GROUPED_SURVEY, GROUPED_CHOICES)
