# ruff: noqa: RUF001  (Russian labels are meant to be Cyrillic)
"""Small XLSForms written for the surveys tests (openpyxl, real files read back)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "xlsform"

SURVEY = [
    [
        "type",
        "name",
        "label::English (en)",
        "label::Русский (ru)",
        "relevant",
        "constraint",
        "constraint_message::English (en)",
        "required",
        "privacy",
        "harmonise",
        "attention_check",
        "appearance",
    ],
    ["start", "start", "", "", "", "", "", "", "", "", "", ""],
    ["begin group", "about", "About you", "О вас", "", "", "", "", "", "", "", "field-list"],
    [
        "integer",
        "age",
        "Age",
        "Возраст",
        "",
        ". >= 18 and . <= 110",
        "18 to 110",
        "yes",
        "quasi",
        "",
        "",
        "",
    ],
    [
        "select_one trust",
        "trust_people",
        "Most people can be trusted?",
        "Можно доверять?",
        "${age} >= 18",
        "",
        "",
        "",
        "",
        "trust_people",
        "",
        "",
    ],
    ["end group", "", "", "", "", "", "", "", "", "", "", ""],
    [
        "select_multiple media",
        "media",
        "Sources",
        "Источники",
        "",
        "count-selected(.) <= 2",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "select_one agree or_other",
        "check",
        "Choose 'agree'",
        "Выберите «согласен»",
        "",
        "",
        "",
        "",
        "",
        "",
        "agree",
        "",
    ],
    [
        "text",
        "comment",
        "Anything else?",
        "Что-то ещё?",
        "selected(${media}, 'tg')",
        "",
        "",
        "",
        "sensitive",
        "",
        "",
        "",
    ],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Русский (ru)"],
    ["trust", "1", "Most people can be trusted", "Можно доверять"],
    ["trust", "2", "Need to be very careful", "Нужно быть осторожным"],
    ["media", "tg", "Telegram", "Телеграм"],
    ["media", "tv", "Television", "Телевидение"],
    ["agree", "agree", "Agree", "Согласен"],
    ["agree", "disagree", "Disagree", "Не согласен"],
]


def write_form(
    path: Path,
    survey: list[list[str]] | None = None,
    choices: list[list[str]] | None = None,
    settings: list[list[str]] | None = None,
) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    for title, rows in (("survey", survey or SURVEY), ("choices", choices or CHOICES)):
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    if settings:
        sheet = workbook.create_sheet("settings")
        for row in settings:
            sheet.append(row)
    workbook.save(path)
    return path
