"""A questionnaire written here in the way KoboToolbox and ODK forms are written.

It reproduces, in our own words, the constructs real Kobo/ODK needs assessments use:
groups nested in groups with a group-level `relevant`, one item name in two groups,
calculate items with jr:choice-name, coalesce, if and concat, ODK paths (`../x`),
upper-case list names, a cascading select (choice_filter), label piping and markup,
and a typographic quote left by Excel.
"""

from __future__ import annotations

from pathlib import Path

from tests.surveys.forms import write_form

HEADER = [
    "type",
    "name",
    "label::English (en)",
    "label::Swahili",
    "hint::English (en)",
    "relevant",
    "constraint",
    "calculation",
    "choice_filter",
    "required",
    "appearance",
]


def _row(kind: str, name: str = "", en: str = "", sw: str = "", **cells: str) -> list[str]:
    values = {"type": kind, "name": name, "label::English (en)": en, "label::Swahili": sw}
    values.update({key.replace("hint", "hint::English (en)"): v for key, v in cells.items()})
    return [values.get(column, "") for column in HEADER]


SURVEY = [
    HEADER,
    _row(
        "select_one YES_NO", "consent", "Do you agree to take part?", "Unakubali?", required="yes"
    ),
    _row(
        "text", "resp_name", "Your first name", "Jina lako", relevant="${consent} = \u2018yes\u2019"
    ),
    _row(
        "begin group",
        "household",
        "**Household** of ${resp_name}",
        "Kaya",
        relevant="${consent} = 'yes'",
    ),
    _row("begin group", "head", "Head of household", "Mkuu wa kaya", appearance="field-list"),
    _row("integer", "age", "Age of the head", "Umri", constraint=". >= 0 and . <= 120"),
    _row("select_one SEX", "sex", "Sex of the head", "Jinsia"),
    _row("end group"),
    _row("begin group", "spouse", "Spouse", "Mwenzi", relevant="../head/age >= 18"),
    _row("integer", "age", "Age of the spouse", "Umri wa mwenzi"),
    _row("end group"),
    _row(
        "calculate",
        "head_sex_label",
        calculation="jr:choice-name(${sex}, '${sex}')",
    ),
    _row(
        "calculate",
        "adults",
        calculation="if(../head/age >= 18, 1, 0) + if(coalesce(../spouse/age, 0) >= 18, 1, 0)",
    ),
    _row("end group"),
    _row("begin group", "place", "Where you live", "Unapoishi"),
    _row("select_one REGION", "region", "Region", "Mkoa"),
    _row("select_one DISTRICT", "district", "District", "Wilaya", choice_filter="region=${region}"),
    _row("end group"),
    _row(
        "calculate",
        "summary",
        calculation="concat(${resp_name}, ': ', ${adults}, ' adult(s), ', ${head_sex_label})",
    ),
    _row(
        "note",
        "thanks",
        "Thank you, *${resp_name}*!<br>Your household has ${adults} adult(s).",
        "Asante, ${resp_name}!",
        relevant="${consent} = 'yes'",
    ),
]

CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Swahili", "region"],
    ["YES_NO", "yes", "Yes", "Ndiyo", ""],
    ["YES_NO", "no", "No", "Hapana", ""],
    ["SEX", "female", "Female", "Mwanamke", ""],
    ["SEX", "male", "Male", "Mwanamume", ""],
    ["REGION", "north", "North", "Kaskazini", ""],
    ["REGION", "south", "South", "Kusini", ""],
    ["DISTRICT", "n1", "North one", "Kaskazini moja", "north"],
    ["DISTRICT", "n2", "North two", "Kaskazini mbili", "north"],
    ["DISTRICT", "s1", "South one", "Kusini moja", "south"],
    ["", "", "(a note left on the choices sheet)", "", ""],
]

SETTINGS = [
    ["form_title", "form_title::Swahili", "form_id", "default_language"],
    ["Household needs", "Mahitaji ya kaya", "household_needs", "English (en)"],
]


def household_form(path: Path) -> Path:
    return write_form(path, SURVEY, CHOICES, SETTINGS)
