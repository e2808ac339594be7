"""XLSForm (.xlsx, .xls, .csv) to the internal schema (surveys/formspec.py) and back.

Django-free. Sheets are read with pyxform's own readers (pyxform.xls2json_backends), so a
file reads here as it reads in ODK and KoboToolbox; the rows are then interpreted here,
because Panelwave keeps the row numbers for its error messages and reads columns pyxform
does not know (docs/design.md "XLSForm columns Panelwave reads beyond the standard"):

- `privacy` (identifier | quasi | sensitive), `harmonise` (an item-bank concept key),
  `attention_check` (the answer an attentive respondent gives), `other_choice` (the choice
  that opens "other, specify"; `select_one x or_other` sets it to `other`), and on the
  choices sheet `code` (the numeric code; default: the name when every name of the list is
  an integer, else 1..n).
- Languages come from `label::Name (code)` columns (`label:Name` and `label::Name` too;
  a bare `label` is the language "default").
- A top-level group is a page; groups inside it are sections of that page (see
  docs/xlsform.md), and item names may repeat across groups (formspec.assign_export_names).
  Metadata types (start, end, today, deviceid, ...) become metadata fields; `calculate`
  items are computed as the respondent answers. A repeat outside a repeat is a roster
  page, inside groups at any depth asked at its place (surveys/grouped_repeats.py). Types
  a web survey cannot ask (photo, geopoint, barcode, a repeat in a repeat, ...) are
  refused with the row named, or skipped and listed
  when `skip_unsupported` is set. `phone number` is a text item with pyxform's digits
  constraint and, unless the row says otherwise, the privacy class `identifier`.
- As pyxform does: a choices row without list_name is ignored (with a warning), and list
  names keep their case. Expressions whose quotes Excel made typographic, or that carry
  non-breaking spaces, are straightened with a warning. A form whose items have no label
  at all is refused unless `allow_no_labels` is set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import pairwise
from pathlib import Path, PurePath
from typing import Any

from openpyxl import Workbook
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json_backends import csv_to_dict, xls_to_dict, xlsx_to_dict

from surveys.barewords import (
    EMPTY_CALCULATION,
    ERROR_REQUIRED_CONDITION,
    WARNING_CALCULATION_WORD,
    WARNING_REQUIRED_CONDITION,
    WARNING_REQUIRED_WORD,
    is_bare_word,
    is_condition,
)
from surveys.choicefiles import (
    ERROR_MEDIA_SIZE,
    MAX_MEDIA_BYTES,
    ChoiceFileError,
    is_choice_file,
    read_choice_file,
)
from surveys.expressions import FUNCTIONS, ExpressionError, references, tokens
from surveys.formspec import (
    CHOICES_SHEET,
    DEFAULT_LANGUAGE,
    SELECT_TYPES,
    TRANSLATED_QUESTION_FIELDS,
    ChoiceListSpec,
    ChoiceSpec,
    FormError,
    FormSpec,
    MetadataField,
    PageSpec,
    QuestionSpec,
    SectionSpec,
    SkippedItem,
    all_problems,
    assign_export_names,
    check_form,
    choice_codes,
    form_error,
)
from surveys.grouped_repeats import chained, own_relevant, placed
from surveys.languages import known_code, language_code
from surveys.repeats import (
    COUNT_COLUMNS,
    NO_ADD_REMOVE_COLUMNS,
    NO_ADD_REMOVE_HEADER,
    NO_ADD_REMOVE_TRUE,
    PARAMETERS_COLUMN,
    RepeatError,
    RepeatSpec,
    read_no_add_remove,
    read_repeat,
)
from surveys.skipchain import Skipped, hollow_repeats, in_hollow_repeat, reads_skipped
from surveys.wrappers import split_wrappers

ERROR_FILE_TYPE = "not an XLSForm file type (use .xlsx, .xls or .csv)"
ERROR_UNREADABLE = "cannot be read as an XLSForm ({problem})"
ERROR_NO_SURVEY_SHEET = "the workbook has no 'survey' sheet"
ERROR_UNSUPPORTED_TYPE = (
    "type {type!r} ({name!r}) cannot be asked in a web survey; "
    "remove it or import with --skip-unsupported"
)
ERROR_MISSING = "{column} is empty"
ERROR_BAD_NAME = "{name!r} is not a valid XLSForm name (letters, digits, _ - .; no spaces)"
ERROR_DUPLICATE_GROUP = "group {name!r} appears twice in group {outer!r}"
ERROR_UNMATCHED_END = "{kind} without a matching begin"
ERROR_LOOP_LIST = "begin loop needs a list of the choices sheet to loop over (found {list_name!r})"
ERROR_UNCLOSED_LOOP = "loop {name!r} is never closed with 'end loop'"
ERROR_UNCLOSED_GROUP = "group {name!r} is never closed with 'end group'"
ERROR_UNCLOSED_REPEAT = "repeat {name!r} is never closed with 'end repeat'"
ERROR_NESTED_REPEAT = (
    "repeat {name!r} is inside repeat {outer!r}; a repeat inside a repeat is not supported "
    "(make it a repeat of its own, or import with --skip-unsupported to leave it out)"
)
ERROR_REQUIRED = "{value!r} is not yes or no"
ERROR_CODE = "code {value!r} is not an integer"
ERROR_DUPLICATE_CHOICE = "choice {name!r} appears twice in list {list_name!r}"
ERROR_NO_LABELS = (
    "no item has a label, so respondents would see item names; add a label column "
    "(label or label::Language (code)) or import with --allow-no-labels"
)
ERROR_MEDIA_MISSING = (
    "choice list file {name!r} is not given; import with --media DIR (the directory "
    "holding it) or upload it with the form"
)
ERROR_MEDIA_KIND = (
    "choice list file {name!r} is neither a CSV nor an XML file (give the list as .csv or .xml)"
)
ERROR_MEDIA_EMPTY = "the choice list file has no choices"
WARNING_AT = "row {row}, column {column}: {problem}"
WARNING_TYPOGRAPHIC = "typographic quotes or non-breaking spaces replaced: {expression!r}"
WARNING_STRAY_CHOICE = "row {row} of the choices sheet has no list_name and is ignored"
WARNING_NO_LABELS = "no item has a label: respondents will see item names"
WARNING_MEDIA_SKIPPED = "{problem}; the items that offer it are skipped"
WARNING_LAST_SAVED = (
    "default {default!r} reads the last form saved on the same device, which a web survey "
    "does not have; the item starts empty"
)
WARNING_EMPTY_LANGUAGE = "language {language!r} has no text in any column and is left out"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_LANGUAGE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[A-Za-z][A-Za-z0-9_\-]*)\)\s*$")
# The keyword is matched whatever its case; the list name is kept as written, since
# pyxform and ODK look lists up case-sensitively (`select_one AFG_PROV`).
_SELECT = re.compile(
    r"^(?P<kind>select_one_from_file|select_multiple_from_file|select_one_external"
    r"|select_one|select one from|select one|select1|select_multiple"
    r"|select multiple from|select multiple|select all that apply from|select all that apply)"
    r"\s+(?P<list>[^\s]+)(?P<other>\s+or[_ ]other|\s+or specify other)?$",
    re.IGNORECASE,
)
_BLOCK = re.compile(
    r"^(?P<edge>begin|end)[ _]?(?P<block>group|repeat|loop)(?:\s+(?:over\s+)?(?P<list>\S+))?$",
    re.IGNORECASE,
)
_SELECT_KIND = {
    "select_one_from_file": "select_one",
    # Its list is on the external_choices sheet (see _external_lists).
    "select_one_external": "select_one",
    "select_one": "select_one",
    "select one from": "select_one",
    "select one": "select_one",
    "select1": "select_one",
}
_QUESTION_TYPES = {
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "text": "text",
    "string": "text",
    "note": "note",
    "date": "date",
    "time": "time",
    "phone number": "text",
    "calculate": "calculate",
}
PHONE_CONSTRAINT = r"regex(., '^\d*$')"
_COLUMN_ALIASES = {
    "caption": "label",
    "relevance": "relevant",
    "calculate": "calculation",
    "jr:constraintmsg": "constraint_message",
    "constraining_message": "constraint_message",
    "jr:requiredmsg": "required_message",
    "requiredmsg": "required_message",
    "list_name": "list_name",
    "list name": "list_name",
    "value": "name",
}
_TRANSLATED = ("label", "hint", "constraint_message", "required_message")
_YES = {"yes", "true", "true()", "1"}
_NO = {"", "no", "false", "false()", "0"}
_SURVEY_COLUMNS = (
    "type",
    "name",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "default",
    "choice_filter",
    "appearance",
    "privacy",
    "harmonise",
    "attention_check",
    "other_choice",
)


@dataclass(frozen=True)
class _Column:
    header: str  # as written in the file, kept for extra columns
    base: str  # normalised: label, hint, relevant, privacy, ...
    language: str  # a code for translated columns, "" otherwise


@dataclass
class _Row:
    number: int
    cells: dict[_Column, str]

    def get(self, base: str) -> str:
        return next((v for c, v in self.cells.items() if c.base == base and not c.language), "")

    def translated(self, base: str, default_language: str) -> dict[str, str]:
        return {
            column.language or default_language: value
            for column, value in self.cells.items()
            if column.base == base and (column.language or base in _TRANSLATED)
        }

    def extra_cells(self, known: tuple[str, ...]) -> dict[str, str]:
        return {
            column.header: value
            for column, value in self.cells.items()
            if column.base not in known and column.base not in _TRANSLATED
        }


@dataclass
class _Reader:
    source: str
    skip_unsupported: bool
    default_language: str
    languages: list[str] = field(default_factory=list)
    language_names: dict[str, str] = field(default_factory=dict)
    pages: list[PageSpec] = field(default_factory=list)
    metadata: list[MetadataField] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    other_lists: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    # Refusals of single rows, gathered so one upload names every bad row (structural
    # ones, such as a group never closed, stop the reading at once).
    errors: list[FormError] = field(default_factory=list)
    # Lists of select_*_from_file items: read from the media directory when the choices
    # sheet does not hold them (an exported form holds them, so it reads on its own).
    file_lists: list[str] = field(default_factory=list)
    media: Path | None = None
    # Settings `allow_choice_duplicates`: a choice name may repeat in its list.
    allow_choice_duplicates: bool = False

    def warn(self, row: _Row, column: str, problem: str) -> None:
        self.warnings.append(WARNING_AT.format(row=row.number, column=column, problem=problem))

    def expression(self, row: _Row, column: str) -> str:
        """The row's expression in `column`, with Excel's autocorrect undone (see
        _normalise_expression) and a warning when that changed it."""
        written = row.get(column)
        cleaned = _normalise_expression(written)
        if cleaned != written:
            problem = WARNING_TYPOGRAPHIC.format(expression=written)
            self.warnings.append(WARNING_AT.format(row=row.number, column=column, problem=problem))
        return cleaned


# -- reading ----------------------------------------------------------------------------


def read_xlsform(
    path: Path,
    *,
    skip_unsupported: bool = False,
    allow_no_labels: bool = False,
    media: Path | None = None,
) -> FormSpec:
    """Read and check an XLSForm; raises FormError naming the file, row and column.

    A form none of whose items has a label (an early ODK form, or a sheet of names) is
    refused unless `allow_no_labels`, since respondents would be shown the item names.
    """
    source = path.name
    workbook = _read_workbook(path)
    sheets = {name.lower(): rows for name, rows in workbook.items() if isinstance(rows, list)}
    # pyxform gives each sheet's header row as `<sheet>_header`; its column order fixes the
    # order of the languages, whichever cells happen to be filled first.
    headers = {
        name[: -len("_header")]: list(rows[0]) if rows else []
        for name, rows in sheets.items()
        if name.endswith("_header")
    }
    if "survey" not in sheets:
        raise form_error(source, ERROR_NO_SURVEY_SHEET)
    settings_rows = sheets.get("settings") or [{}]
    settings = {str(k).strip(): str(v) for k, v in settings_rows[0].items()}
    reader = _Reader(
        source=source, skip_unsupported=skip_unsupported, default_language="", media=media
    )
    title_names = _title_languages(settings, reader)
    reader.allow_choice_duplicates = settings.get("allow_choice_duplicates", "").lower() in _YES
    default_setting = settings.pop("default_language", "")
    reader.default_language = (
        _language(default_setting, reader) if default_setting else DEFAULT_LANGUAGE
    )
    survey = _rows(sheets["survey"], reader, headers.get("survey", []))
    choices = _rows(sheets.get("choices", []), reader, headers.get("choices", []))
    _read_survey(_expand_loops(survey, choices, reader), reader)
    lists = _read_choices(choices, reader)
    external = _external_lists(sheets, headers, {choice_list.name for choice_list in lists}, reader)
    if any(choice.variants for choice_list in external for choice in choice_list.choices):
        # Written back, these rows are on the choices sheet, where pyxform takes a name
        # twice in a list only with this setting.
        settings["allow_choice_duplicates"] = "yes"
    lists += external
    given = {choice_list.name for choice_list in lists}
    for name in [name for name in reader.file_lists if name not in given]:
        file_list = _file_list(name, reader)
        if file_list is not None:
            lists.append(file_list)
    if reader.errors:
        raise all_problems(reader.errors)
    if skip_unsupported:
        _skip_readers_of_skipped(reader)
    if not any(c.base == "label" for row in survey for c in row.cells):
        if not allow_no_labels:
            raise form_error(source, ERROR_NO_LABELS)
        reader.warnings.append(WARNING_NO_LABELS)
    grouped = {page.name for page in reader.pages if page.groups}
    split, wrapper_warnings = split_wrappers(reader.pages)
    reader.warnings += wrapper_warnings
    pages = assign_export_names(placed(split, grouped))
    _drop_empty_languages(reader, pages, lists, title_names)
    if not reader.languages:
        reader.languages.append(reader.default_language)
    source_language = (
        reader.default_language
        if reader.default_language in reader.languages
        else reader.languages[0]
    )
    title = {source_language: settings.pop("form_title")} if settings.get("form_title") else {}
    title.update(title_names)
    form = FormSpec(
        languages=tuple(reader.languages),
        source_language=source_language,
        pages=tuple(pages),
        choice_lists=tuple(lists),
        title=title,
        language_names=reader.language_names,
        settings=settings,
        metadata_fields=tuple(reader.metadata),
        skipped=tuple(reader.skipped),
        warnings=tuple(reader.warnings),
    )
    check_form(form, source)
    return form


def _read_workbook(path: Path) -> dict[str, Any]:
    readers: dict[str, Callable[[Any], dict[str, Any]]] = {
        ".xlsx": xlsx_to_dict,
        ".xlsm": xlsx_to_dict,
        ".xls": xls_to_dict,
        ".csv": csv_to_dict,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise form_error(path.name, ERROR_FILE_TYPE)
    try:
        return reader(str(path))
    # A corrupt or hostile workbook makes the parsers under pyxform (xlrd, openpyxl, csv)
    # raise nearly any exception type (xlrd's CompDocError, struct.error, IndexError,
    # AssertionError, ...); each means the same thing: the file cannot be read.
    except Exception as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise form_error(path.name, ERROR_UNREADABLE.format(problem=problem)) from exc


def _drop_empty_languages(
    reader: _Reader, pages: list[PageSpec], lists: list[ChoiceListSpec], titles: dict[str, str]
) -> None:
    """A language column with no text in it (a translation never made) is dropped, with a
    warning, rather than offered to respondents as an empty form."""
    texts: list[dict[str, str]] = [titles]
    for page in pages:
        texts += [page.labels, *(section.labels for section in page.sections)]
        for q in page.questions:
            texts += [getattr(q, name) for name in TRANSLATED_QUESTION_FIELDS]
    texts += [choice.labels for choice_list in lists for choice in choice_list.choices]
    used = {code for text in texts for code, value in text.items() if value}
    if not used:
        return
    for code in [code for code in reader.languages if code not in used]:
        reader.languages.remove(code)
        reader.language_names.pop(code, None)
        if code != DEFAULT_LANGUAGE:
            # An empty `hint` column beside `label::English` is no translation never made.
            reader.warnings.append(WARNING_EMPTY_LANGUAGE.format(language=code))


def _title_languages(settings: dict[str, str], reader: _Reader) -> dict[str, str]:
    """`form_title::Name (code)` settings columns: the title in further languages."""
    titles = {}
    for key in [k for k in settings if k.startswith("form_title::")]:
        titles[_language(key.split("::", 1)[1], reader, register=False)] = settings.pop(key)
    return titles


def _language(written: str, reader: _Reader, *, register: bool = True) -> str:
    match = _LANGUAGE.match(written)
    if match:
        name, code = match["name"].strip(), known_code(match["code"])
    else:
        name = written.strip()
        code = language_code(name)
    if name and name.lower() != code.lower():
        # Two spellings of one language ("Swahili", "swahili") merge; the first names it.
        reader.language_names.setdefault(code, name)
    if register and code not in reader.languages:
        reader.languages.append(code)
    return code


def _column(header: str, reader: _Reader) -> _Column:
    text = header.strip()
    for prefix in ("bind::", "bind:", "control::", "control:", "body::", "body:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    base, language = text, ""
    if "::" in text:
        base, language = text.split("::", 1)
    elif ":" in text and text.split(":", 1)[0].strip().lower() in _TRANSLATED:
        base, language = text.split(":", 1)
    base = base.strip().lower()
    base = _COLUMN_ALIASES.get(base, base).replace(" ", "_")
    code = _language(language, reader) if language and base in _TRANSLATED else language
    if base in _TRANSLATED and not language and reader.default_language not in reader.languages:
        reader.languages.append(reader.default_language)
    return _Column(header=header, base=base, language=code)


def _rows(
    raw_rows: list[dict[str, Any]], reader: _Reader, header: Sequence[Any] = ()
) -> list[_Row]:
    # Row 1 is the header; pyxform keeps empty rows so the numbers match the sheet.
    columns = {str(h): _column(str(h), reader) for h in header if h is not None and str(h).strip()}
    rows = []
    for number, raw in enumerate(raw_rows, start=2):
        cells = {}
        for header, value in raw.items():
            text = str(value).strip() if value is not None else ""
            if not text:
                continue
            key = str(header)
            if key not in columns:
                columns[key] = _column(key, reader)
            cells[columns[key]] = text
        if cells:
            rows.append(_Row(number, cells))
    return rows


# -- the survey sheet --------------------------------------------------------------------


@dataclass
class _OpenGroup:
    """A top-level group being read (a page), with the inner groups open in it."""

    row: _Row
    name: str
    questions: list[QuestionSpec] = field(default_factory=list)
    sections: list[SectionSpec] = field(default_factory=list)
    # Inner groups open now, outermost first, with their begin rows.
    inner: list[tuple[str, _Row]] = field(default_factory=list)
    # Set when the page is a roster (`begin repeat`).
    repeat: RepeatSpec | None = None
    # A roster's enclosing top-level group, set aside while the roster is read.
    parent: _OpenGroup | None = None
    # A roster's chain of enclosing groups, outermost first (PageSpec.groups).
    groups: tuple[SectionSpec, ...] = ()
    # The rosters read inside this group: their pages follow the group's own.
    rosters: list[PageSpec] = field(default_factory=list)

    @property
    def section_path(self) -> str:
        return "/".join(name for name, _row in self.inner)


def _read_survey(rows: list[_Row], reader: _Reader) -> None:
    group: _OpenGroup | None = None
    repeat_depth = 0
    for row in rows:
        kind = _normalise_type(row.get("type"))
        name = row.get("name")
        if not kind:
            if name:
                raise form_error(
                    reader.source,
                    ERROR_MISSING.format(column="type"),
                    row=row.number,
                    column="type",
                )
            continue  # a row of notes only
        if kind == "begin repeat" and group is None and not repeat_depth:
            group = _OpenGroup(
                row=row, name=_checked_name(row, reader), repeat=_repeat_rule(row, reader)
            )
            continue
        if kind == "begin repeat" and _opens_grouped_roster(group, repeat_depth):
            assert group is not None  # noqa: S101 (_opens_grouped_roster checked it)
            group = _OpenGroup(
                row=row,
                name=_checked_name(row, reader),
                repeat=_repeat_rule(row, reader),
                parent=group,
                groups=_enclosing(group, reader),
            )
            continue
        if kind in ("begin repeat", "begin loop"):
            if not repeat_depth and kind == "begin repeat" and group is not None:
                _refuse_placed_repeat(row, group, reader)
            repeat_depth += 1
            _unsupported(row, kind, reader)
            continue
        if kind in ("end repeat", "end loop"):
            if repeat_depth == 0:
                if kind == "end repeat" and _closes_roster(group):
                    assert group is not None  # noqa: S101 (_closes_roster checked it)
                    group = _close_roster(group, reader)
                    continue
                _refuse_unmatched(row, kind, reader)
            repeat_depth -= 1
            continue
        if repeat_depth:
            # Everything inside a skipped repeat is skipped with it.
            reader.skipped.append(SkippedItem(row.number, name, kind))
            continue
        if kind == "end group" and _closes_roster(group):
            _refuse_unmatched(row, kind, reader)
        if kind == "end group" and group is not None and group.rosters and not group.inner:
            if group.questions:
                reader.pages.append(_page(group, reader))
            reader.pages += group.rosters
            group = None
            continue
        group = _read_survey_row(row, kind, name, group, reader)
    if group is not None:
        name, begin = group.inner[-1] if group.inner else (group.name, group.row)
        message = (
            ERROR_UNCLOSED_REPEAT if group.repeat and not group.inner else ERROR_UNCLOSED_GROUP
        )
        raise form_error(reader.source, message.format(name=name), row=begin.number)


def _closes_roster(group: _OpenGroup | None) -> bool:
    """An `end repeat` here closes the roster page being read (no inner group open)."""
    return group is not None and group.repeat is not None and not group.inner


def _opens_grouped_roster(group: _OpenGroup | None, repeat_depth: int) -> bool:
    """A `begin repeat` in a top-level group, directly or in a group inside it
    (docs/xlsform.md, "Repeats")."""
    return group is not None and group.repeat is None and not repeat_depth


def _enclosing(group: _OpenGroup, reader: _Reader) -> tuple[SectionSpec, ...]:
    """The groups around a `begin repeat` read now in `group`, outermost first, each
    with its path from the top."""
    top = SectionSpec(
        path=group.name,
        labels=group.row.translated("label", reader.default_language),
        relevant=reader.expression(group.row, "relevant"),
        appearance=group.row.get("appearance"),
        row=group.row.number,
    )
    inner = []
    for depth in range(1, len(group.inner) + 1):
        path = "/".join(name for name, _row in group.inner[:depth])
        section = next(s for s in group.sections if s.path == path)
        inner.append(replace(section, path=f"{group.name}/{path}"))
    return (top, *inner)


def _close_roster(roster: _OpenGroup, reader: _Reader) -> _OpenGroup | None:
    """The roster's page, and the group it sits in (read on), or None at the top."""
    page = _page(roster, reader)
    parent = roster.parent
    if parent is None:
        reader.pages.append(page)
        return None
    relevant = chained(roster.groups, page.relevant)
    parent.rosters.append(replace(page, groups=roster.groups, relevant=relevant))
    return parent


def _refuse_placed_repeat(row: _Row, group: _OpenGroup, reader: _Reader) -> None:
    """A repeat inside a roster: refused with its place named, unless skipped."""
    if reader.skip_unsupported:
        return
    problem = ERROR_NESTED_REPEAT.format(name=row.get("name"), outer=group.name)
    raise form_error(reader.source, problem, row=row.number, column="type")


def _repeat_rule(row: _Row, reader: _Reader) -> RepeatSpec:
    count = next((reader.expression(row, c) for c in COUNT_COLUMNS if row.get(c)), "")
    locked = next((row.get(c) for c in NO_ADD_REMOVE_COLUMNS if row.get(c)), "")
    try:
        no_add_remove = read_no_add_remove(locked)
    except RepeatError as exc:
        column = NO_ADD_REMOVE_HEADER
        raise form_error(reader.source, str(exc), row=row.number, column=column) from exc
    try:
        return read_repeat(count, row.get(PARAMETERS_COLUMN), no_add_remove=no_add_remove)
    except RepeatError as exc:
        column = PARAMETERS_COLUMN if row.get(PARAMETERS_COLUMN) else "repeat_count"
        raise form_error(reader.source, str(exc), row=row.number, column=column) from exc


def _read_survey_row(
    row: _Row, kind: str, name: str, group: _OpenGroup | None, reader: _Reader
) -> _OpenGroup | None:
    if kind == "begin group":
        if group is None:
            return _OpenGroup(row=row, name=_checked_name(row, reader))
        _open_section(group, row, reader)
        return group
    if kind == "end group":
        if group is None:
            _refuse_unmatched(row, kind, reader)
            return None
        if group.inner:
            group.inner.pop()
            return group
        reader.pages.append(_page(group, reader))
        return None
    if kind in QUESTION_TYPE_DICT and "jr:preload" in QUESTION_TYPE_DICT[kind].get("bind", {}):
        reader.metadata.append(MetadataField(name=_checked_name(row, reader), type=kind))
        return group
    try:
        question = _question(row, kind, reader)
    except FormError as exc:
        reader.errors.append(exc)
        return group
    if question is None:
        return group
    if group is not None:
        group.questions.append(replace(question, section=group.section_path))
    else:
        reader.pages.append(PageSpec(name=question.name, questions=(question,), row=row.number))
    return group


def _normalise_type(written: str) -> str:
    """The type in lower case with single spaces, except a select's list name (kept as
    written); `begin_group`, `begingroup` and `begin loop over <list>` become `begin group`
    and `begin loop`."""
    kind = " ".join(written.strip().split())
    block = _BLOCK.match(kind)
    if block:
        return f"{block['edge'].lower()} {block['block'].lower()}"
    if _SELECT.match(kind):
        return kind
    return kind.lower()


_SUBSTITUTION = re.compile(r"%\((name|label)\)s")


def _expand_loops(rows: list[_Row], choices: list[_Row], reader: _Reader) -> list[_Row]:
    """`begin loop over <list>` written out as pyxform does: a group of the loop's name
    holding, for each choice of the list (but `none`), a group named after the choice and
    labelled with its label, with the loop's items inside; `%(name)s` and `%(label)s` in
    the items' cells become the choice's name and label (in the cell's language)."""
    if not any(_normalise_type(row.get("type")) == "begin loop" for row in rows):
        return rows
    result: list[_Row] = []
    index = 0
    while index < len(rows):
        row = rows[index]
        block = _BLOCK.match(" ".join(row.get("type").split()))
        if not block or block["edge"].lower() != "begin" or block["block"].lower() != "loop":
            result.append(row)
            index += 1
            continue
        end = _loop_end(rows, index, reader)
        body = _expand_loops(rows[index + 1 : end], choices, reader)
        options = [c for c in choices if c.get("list_name") == block["list"]]
        if not block["list"] or not options:
            problem = ERROR_LOOP_LIST.format(list_name=block["list"] or "")
            raise form_error(reader.source, problem, row=row.number, column="type")
        result.append(_with_type(row, "begin group"))
        for option in options:
            if option.get("name") == "none":
                continue
            labels = {c: v for c, v in option.cells.items() if c.base == "label"}
            result.append(_synthetic(row.number, "begin group", option.get("name"), labels))
            result += [_substituted(item, option, reader) for item in body]
            result.append(_synthetic(row.number, "end group", "", {}))
        result.append(_with_type(rows[end], "end group"))
        index = end + 1
    return result


def _loop_end(rows: list[_Row], begin: int, reader: _Reader) -> int:
    depth = 0
    for index in range(begin, len(rows)):
        kind = _normalise_type(rows[index].get("type"))
        depth += kind == "begin loop"
        depth -= kind == "end loop"
        if depth == 0:
            return index
    name = rows[begin].get("name")
    problem = ERROR_UNCLOSED_LOOP.format(name=name)
    raise form_error(reader.source, problem, row=rows[begin].number, column="type")


_TYPE_COLUMN = _Column(header="type", base="type", language="")
_NAME_COLUMN = _Column(header="name", base="name", language="")


def _with_type(row: _Row, kind: str) -> _Row:
    cells = {c: v for c, v in row.cells.items() if c.base != "type"}
    return _Row(row.number, {_TYPE_COLUMN: kind, **cells})


def _synthetic(number: int, kind: str, name: str, cells: dict[_Column, str]) -> _Row:
    named = {_NAME_COLUMN: name} if name else {}
    return _Row(number, {_TYPE_COLUMN: kind, **named, **cells})


def _substituted(row: _Row, option: _Row, reader: _Reader) -> _Row:
    labels = option.translated("label", reader.default_language)

    def fill(column: _Column, text: str) -> str:
        label = labels.get(column.language or reader.default_language) or next(
            iter(labels.values()), ""
        )
        values = {"name": option.get("name"), "label": label}
        return _SUBSTITUTION.sub(lambda m: values[m[1]], text)

    return _Row(row.number, {c: fill(c, v) for c, v in row.cells.items()})


def _refuse_unmatched(row: _Row, kind: str, reader: _Reader) -> None:
    raise form_error(
        reader.source, ERROR_UNMATCHED_END.format(kind=kind), row=row.number, column="type"
    )


def _unsupported(row: _Row, kind: str, reader: _Reader) -> None:
    name = row.get("name")
    if not reader.skip_unsupported:
        problem = ERROR_UNSUPPORTED_TYPE.format(type=kind, name=name)
        raise form_error(reader.source, problem, row=row.number, column="type")
    reader.skipped.append(SkippedItem(row.number, name, kind))


def _checked_name(row: _Row, reader: _Reader) -> str:
    name = row.get("name")
    if not name and _normalise_type(row.get("type")) == "note":
        # pyxform names an unnamed note after its row; so do we, so the round trip holds.
        return f"generated_note_name_{row.number}"
    if not name:
        raise form_error(
            reader.source, ERROR_MISSING.format(column="name"), row=row.number, column="name"
        )
    if not _NAME.match(name):
        raise form_error(
            reader.source, ERROR_BAD_NAME.format(name=name), row=row.number, column="name"
        )
    return name


def _open_section(group: _OpenGroup, row: _Row, reader: _Reader) -> None:
    """An inner group: a titled section of the page (its `relevant` covers its items)."""
    name = _checked_name(row, reader)
    outer = group.section_path
    path = f"{outer}/{name}" if outer else name
    if any(section.path == path for section in group.sections):
        problem = ERROR_DUPLICATE_GROUP.format(name=name, outer=outer or group.name)
        raise form_error(reader.source, problem, row=row.number, column="name")
    group.inner.append((name, row))
    group.sections.append(
        SectionSpec(
            path=path,
            labels=row.translated("label", reader.default_language),
            relevant=reader.expression(row, "relevant"),
            appearance=row.get("appearance"),
            row=row.number,
        )
    )


def _page(group: _OpenGroup, reader: _Reader) -> PageSpec:
    row = group.row
    # A section left without items (all skipped, or none) cannot be shown; dropping it
    # keeps the round trip exact, since the writer opens sections at their first item.
    used = {q.section for q in group.questions}
    sections = tuple(section for section in group.sections if _holds(section.path, used))
    return PageSpec(
        name=group.name,
        sections=sections,
        questions=tuple(group.questions),
        labels=row.translated("label", reader.default_language),
        relevant=reader.expression(row, "relevant"),
        appearance=row.get("appearance"),
        repeat=group.repeat,
        row=row.number,
    )


def _question(row: _Row, kind: str, reader: _Reader) -> QuestionSpec | None:
    select = _SELECT.match(kind)
    if select:
        qtype = _SELECT_KIND.get(select["kind"].lower(), "select_multiple")
        choice_list, other = select["list"], "other" if select["other"] else ""
        if other:
            reader.other_lists.add(choice_list)
        if select["kind"].lower().endswith("_from_file") and choice_list not in reader.file_lists:
            reader.file_lists.append(choice_list)
    elif kind in _QUESTION_TYPES:
        qtype, choice_list, other = _QUESTION_TYPES[kind], "", ""
    else:
        _unsupported(row, kind, reader)
        return None
    external = _external_function(reader.expression(row, "calculation"))
    if external and reader.skip_unsupported:
        # pulldata(), instance() and the like read files or data a web survey does not
        # have: under --skip-unsupported the item goes, like any other it cannot ask.
        reader.skipped.append(SkippedItem(row.number, row.get("name"), f"{kind} ({external})"))
        return None
    language = reader.default_language
    question = QuestionSpec(
        name=_checked_name(row, reader),
        type=qtype,
        labels=row.translated("label", language),
        hints=row.translated("hint", language),
        required=_yes_no(row, reader),
        required_message=row.translated("required_message", language),
        relevant=reader.expression(row, "relevant"),
        constraint=reader.expression(row, "constraint"),
        calculation=_calculation(row, reader),
        default=_default(row, reader),
        choice_filter=reader.expression(row, "choice_filter"),
        constraint_message=row.translated("constraint_message", language),
        appearance=row.get("appearance"),
        choice_list=choice_list,
        other_choice=row.get("other_choice") or other,
        privacy=row.get("privacy").lower(),
        harmonise=row.get("harmonise"),
        attention_expected=row.get("attention_check"),
        extra=row.extra_cells(_SURVEY_COLUMNS),
        row=row.number,
    )
    if kind == "phone number":
        question = replace(
            question,
            constraint=question.constraint or PHONE_CONSTRAINT,
            privacy=question.privacy or "identifier",
        )
    return question


_LAST_SAVED = re.compile(r"\$\{\s*last-saved#")


def _default(row: _Row, reader: _Reader) -> str:
    """The row's default. ODK's `${last-saved#x}` (the answer saved on the same device last
    time) has no meaning for a web survey, whose respondents share no device: it is
    dropped with a warning, and the item starts empty."""
    default = row.get("default")
    if _LAST_SAVED.search(default):
        problem = WARNING_LAST_SAVED.format(default=default)
        reader.warnings.append(WARNING_AT.format(row=row.number, column="default", problem=problem))
        return ""
    return default


_FUNCTION_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_:\-]*)\s*\(")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# XPath operators written as words: `${a} = 1 and (${b} = 2)` calls no function `and`.
_OPERATOR_WORDS = frozenset({"and", "or", "div", "mod"})


def _external_function(expression: str) -> str:
    """The first function the expression calls that Panelwave does not have, or ""."""
    try:
        found = tokens(expression)
        called = [
            text
            for (kind, text, _, _), following in pairwise(found)
            if kind == "name" and following[:2] == ("op", "(")
        ]
    except ExpressionError:
        # Predicates such as instance('x')/root/item[...] do not tokenise: a call is then
        # a word before `(` outside quotes.
        called = _FUNCTION_CALL.findall(_QUOTED.sub("''", expression))
    for name in called:
        if name not in FUNCTIONS and name not in _OPERATOR_WORDS:
            return f"{name}()"
    return ""


# Excel's autocorrect turns quotes typographic, and pasted text brings non-breaking spaces.
_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
    }
)
_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " "})


def _normalise_expression(written: str) -> str:
    """Non-breaking spaces become spaces; typographic quotes become straight quotes when
    the expression does not parse as written (a quote inside a string literal is kept)."""
    spaced = written.translate(_SPACES)
    if spaced == written.translate(_TYPOGRAPHIC):
        return spaced
    try:
        references(spaced)
    except ExpressionError:
        straight = written.translate(_TYPOGRAPHIC)
        try:
            references(straight)
        except ExpressionError:
            return spaced
        return straight
    return spaced


def _yes_no(row: _Row, reader: _Reader) -> bool:
    """Whether the item is required. A cell other than yes or no is read as ODK reads it
    (surveys/barewords.py)."""
    value = row.get("required")
    if value.lower() in _YES:
        return True
    if value.lower() in _NO:
        return False
    if is_bare_word(value):
        reader.warn(row, "required", WARNING_REQUIRED_WORD.format(value=value))
        return False
    if is_condition(value) and reader.skip_unsupported:
        reader.warn(row, "required", WARNING_REQUIRED_CONDITION.format(value=value))
        return False
    problem = (ERROR_REQUIRED_CONDITION if is_condition(value) else ERROR_REQUIRED).format(
        value=value
    )
    raise form_error(reader.source, problem, row=row.number, column="required")


def _calculation(row: _Row, reader: _Reader) -> str:
    """The row's calculation; a bare word is empty, as ODK reads it (surveys/barewords.py)."""
    written = reader.expression(row, "calculation")
    if is_bare_word(written):
        reader.warn(row, "calculation", WARNING_CALCULATION_WORD.format(value=written))
        return EMPTY_CALCULATION
    return written


# -- the choices sheet -------------------------------------------------------------------


def _read_choices(rows: list[_Row], reader: _Reader) -> list[ChoiceListSpec]:
    grouped: dict[str, list[_Row]] = {}
    for row in rows:
        list_name = row.get("list_name")
        if not list_name:
            # pyxform ignores such a row (often a note or a stray cell), so ODK does too.
            reader.warnings.append(WARNING_STRAY_CHOICE.format(row=row.number))
            continue
        grouped.setdefault(list_name, []).append(row)
    lists = [_choice_list(name, list_rows, reader) for name, list_rows in grouped.items()]
    return [_with_other(choice_list, reader) for choice_list in lists]


def _external_lists(
    sheets: dict[str, Any], headers: dict[str, list[str]], given: set[str], reader: _Reader
) -> list[ChoiceListSpec]:
    """The lists of the external_choices sheet, offered by `select_one_external` items.
    ODK serves them from a CSV written beside the form, for long cascades; a web survey
    filters every list on the server, so they are offered as any list (one also on the
    choices sheet is taken from there, as pyxform does). Written back, they are on the
    choices sheet and the items `select_one`."""
    rows = sheets.get("external_choices") or []
    if not rows:
        return []
    # pyxform copies this sheet into a CSV unchecked, so a name may repeat in a list (a
    # town of one name in two regions): read as `allow_choice_duplicates` reads them.
    external = replace(
        reader, source=f"{reader.source} (external_choices)", allow_choice_duplicates=True
    )
    read = _read_choices(_rows(rows, external, headers.get("external_choices", [])), external)
    return [choice_list for choice_list in read if choice_list.name not in given]


def _choice_list(list_name: str, rows: list[_Row], reader: _Reader) -> ChoiceListSpec:
    """The list's choices. A name may repeat when the settings allow duplicate choices
    (`allow_choice_duplicates`, as pyxform does): answers are stored by name, so the rows
    become one choice, labelled and coded by its first row, whose further rows' columns
    are kept as variants for the cascade (docs/xlsform.md)."""
    first: dict[str, _Row] = {}
    variants: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        name = row.get("name")
        if not name:
            problem = ERROR_MISSING.format(column="name")
            reader.errors.append(_choice_error(reader, problem, row))
            continue
        if name in first and not reader.allow_choice_duplicates:
            problem = ERROR_DUPLICATE_CHOICE.format(name=name, list_name=list_name)
            reader.errors.append(_choice_error(reader, problem, row))
            continue
        if name in first:
            variants[name].append(row.extra_cells(_CHOICE_COLUMNS))
        else:
            first[name] = row
            variants[name] = []
    names = list(first)
    codes = choice_codes(names)
    choices = []
    for name, default_code in zip(names, codes, strict=True):
        row = first[name]
        choices.append(
            ChoiceSpec(
                name=name,
                code=_code(row, reader) if row.get("code") else default_code,
                labels=row.translated("label", reader.default_language),
                extra=row.extra_cells(_CHOICE_COLUMNS),
                variants=tuple(variants[name]),
                row=row.number,
            )
        )
    return ChoiceListSpec(name=list_name, choices=tuple(choices))


_CHOICE_COLUMNS = ("list_name", "name", "code")


def _file_list(name: str, reader: _Reader) -> ChoiceListSpec | None:
    """The choices of a select_*_from_file item, from the CSV or XML file of that name in
    the media directory (surveys/choicefiles.py: name, label or label::Language, and any
    filter columns).

    Under `skip_unsupported` a file not given (or not CSV) skips the items that use it,
    with a warning, as a type the web cannot ask is skipped: None is returned."""
    problem = ""
    path = reader.media / name if reader.media is not None else None
    if PurePath(name).name != name or not is_choice_file(name):
        problem = ERROR_MEDIA_KIND.format(name=name)
    elif path is None or not path.is_file():
        problem = ERROR_MEDIA_MISSING.format(name=name)
    if problem and reader.skip_unsupported:
        _skip_list_items(name, reader)
        reader.warnings.append(WARNING_MEDIA_SKIPPED.format(problem=problem))
        return None
    if problem or path is None:
        raise form_error(reader.source, problem)
    if path.stat().st_size > MAX_MEDIA_BYTES:
        raise form_error(reader.source, ERROR_MEDIA_SIZE.format(name=name, limit=MAX_MEDIA_BYTES))
    try:
        rows = read_choice_file(path)
    except ChoiceFileError as exc:
        raise form_error(name, ERROR_UNREADABLE.format(problem=exc)) from exc
    file_reader = replace(reader, source=name)
    choice_list = _choice_list(name, _rows(list(rows), file_reader), file_reader)
    if not choice_list.choices:
        raise form_error(name, ERROR_MEDIA_EMPTY)
    return choice_list


def _skip_list_items(list_name: str, reader: _Reader) -> None:
    """Take every item that offers `list_name` out of the pages read so far, listing it as
    skipped."""

    def reason(page: PageSpec, question: QuestionSpec) -> str:
        return f"{question.type}_from_file {list_name}" if question.choice_list == list_name else ""

    _drop_questions(reader, reason)


def _skip_readers_of_skipped(reader: _Reader) -> None:
    """Under `skip_unsupported`: an item that reads a skipped item (a photo, a location,
    a list whose file is not given), or whose page or section does in its `relevant`, is
    skipped too, and so on down the chain, rather than the whole form refused; each is
    listed with what it read (surveys/skipchain.py). A repeat left asking nothing goes
    with its notes and calculations."""
    metadata = {m.name for m in reader.metadata}
    while True:
        count = len(reader.skipped)
        skipped = Skipped.of(reader.pages, {item.name for item in reader.skipped}, metadata)
        _drop_questions(reader, partial(reads_skipped, skipped=skipped))
        if len(reader.skipped) > count:
            hollow = hollow_repeats(reader.pages)
            _drop_questions(reader, partial(in_hollow_repeat, hollow=hollow))
        if len(reader.skipped) == count:
            return


def _drop_questions(reader: _Reader, reason_of: Callable[[PageSpec, QuestionSpec], str]) -> None:
    """Take out of the pages read so far every item `reason_of` gives a reason for,
    listing it as skipped with that reason; a page or section left empty goes with it."""
    pages = []
    for page in reader.pages:
        kept = []
        for question in page.questions:
            reason = reason_of(page, question)
            if reason:
                reader.skipped.append(SkippedItem(question.row, question.xlsform_name, reason))
            else:
                kept.append(question)
        if kept:
            used = {q.section for q in kept}
            sections = tuple(s for s in page.sections if _holds(s.path, used))
            pages.append(replace(page, questions=tuple(kept), sections=sections))
    reader.pages = pages


def _holds(section: str, used: set[str]) -> bool:
    """Whether the section at path `section` holds an item of one of the `used` paths."""
    return any(path == section or path.startswith(section + "/") for path in used)


def _choice_error(reader: _Reader, problem: str, row: _Row, *, column: str = "name") -> FormError:
    return form_error(reader.source, problem, row=row.number, column=column, sheet=CHOICES_SHEET)


def _code(row: _Row, reader: _Reader) -> int:
    value = row.get("code")
    try:
        return int(float(value)) if float(value).is_integer() else int(value)
    except ValueError as exc:
        problem = ERROR_CODE.format(value=value)
        raise _choice_error(reader, problem, row, column="code") from exc


def _with_other(choice_list: ChoiceListSpec, reader: _Reader) -> ChoiceListSpec:
    """`or_other` adds the choice `other` to its list, as pyxform does."""
    names = [choice.name for choice in choice_list.choices]
    if choice_list.name not in reader.other_lists or "other" in names:
        return choice_list
    codes = [choice.code for choice in choice_list.choices]
    other = ChoiceSpec(
        name="other",
        code=max(codes, default=0) + 1,
        labels=dict.fromkeys(reader.languages or [reader.default_language], "Other"),
    )
    return replace(choice_list, choices=(*choice_list.choices, other))


# -- writing ----------------------------------------------------------------------------


def write_xlsform(form: FormSpec, path: Path) -> None:
    """Write `form` as an .xlsx XLSForm that read_xlsform reads back to an equal FormSpec."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    survey = workbook.create_sheet("survey")
    headers = _survey_headers(form)
    survey.append([header for header, _ in headers])
    for values in _survey_rows(form):
        survey.append([values.get(key, "") for _, key in headers])
    choices = workbook.create_sheet("choices")
    choice_headers = _choice_headers(form)
    choices.append([header for header, _ in choice_headers])
    for choice_list in form.choice_lists:
        for choice in choice_list.choices:
            values = _choice_values(choice_list.name, choice)
            choices.append([values.get(key, "") for _, key in choice_headers])
            for variant in choice.variants:
                # A further row of the same name: only its own columns differ.
                again = {k: v for k, v in values.items() if not k.startswith("extra:")}
                again |= {f"extra:{key}": value for key, value in variant.items()}
                choices.append([again.get(key, "") for _, key in choice_headers])
    settings = workbook.create_sheet("settings")
    setting_values = _settings_values(form)
    settings.append(list(setting_values))
    settings.append(list(setting_values.values()))
    workbook.save(path)


def _language_header(base: str, code: str, form: FormSpec) -> str:
    if code == DEFAULT_LANGUAGE:
        return base
    name = form.language_names.get(code, code)
    return f"{base}::{name} ({code})" if name != code else f"{base}::{code}"


def _survey_headers(form: FormSpec) -> list[tuple[str, str]]:
    headers = [("type", "type"), ("name", "name")]
    for base in ("label", "hint"):
        headers += [(_language_header(base, c, form), f"{base}:{c}") for c in form.languages]
    headers += [("required", "required")]
    headers += [
        (_language_header("required_message", c, form), f"required_message:{c}")
        for c in form.languages
    ]
    headers += [("relevant", "relevant"), ("constraint", "constraint")]
    headers += [
        (_language_header("constraint_message", c, form), f"constraint_message:{c}")
        for c in form.languages
    ]
    headers += [(column, column) for column in _SURVEY_COLUMNS[5:]]
    extra = dict.fromkeys(key for q in form.questions() for key in q.extra)
    # A roster's count columns share the extra columns' keys: a question's own cell in a
    # column of that name (kept as extra) and a roster's are then one column.
    for page in form.pages:
        if page.repeat is not None:
            extra.update(dict.fromkeys(_repeat_cells(page.repeat)))
    return headers + [(key, f"extra:{key}") for key in extra]


def _repeat_cells(repeat: RepeatSpec) -> dict[str, str]:
    cells = {COUNT_COLUMNS[0]: repeat.count, PARAMETERS_COLUMN: repeat.parameters()}
    cells[NO_ADD_REMOVE_HEADER] = NO_ADD_REMOVE_TRUE if repeat.no_add_remove else ""
    return {key: value for key, value in cells.items() if value}


def _translated(base: str, values: dict[str, str]) -> dict[str, str]:
    return {f"{base}:{code}": text for code, text in values.items()}


def _survey_rows(form: FormSpec) -> list[dict[str, str]]:
    """The survey sheet: every item inside the groups and repeats that hold it, each block
    opened before its first item and closed after its last. Blocks are matched by their
    path from the top, so a group asked in parts around its rosters (and the inner groups
    those rosters sit in) is written as the one group the author wrote."""
    rows = [{"type": field_.type, "name": field_.name} for field_ in form.metadata_fields]
    open_blocks: list[_Block] = []
    for page in form.pages:
        around = _page_blocks(page)
        for question in page.questions:
            blocks = around + _section_blocks(page, question, around)
            shared = 0
            while (
                shared < min(len(open_blocks), len(blocks))
                and open_blocks[shared].path == blocks[shared].path
            ):
                shared += 1
            rows += [{"type": f"end {b.kind}"} for b in reversed(open_blocks[shared:])]
            rows += [block.begin for block in blocks[shared:]]
            open_blocks = blocks
            rows.append(_question_values(question))
    rows += [{"type": f"end {b.kind}"} for b in reversed(open_blocks)]
    return rows


@dataclass(frozen=True)
class _Block:
    """A group or repeat being written: its path from the top and its `begin` row."""

    path: str
    kind: str
    begin: dict[str, str]


def _page_blocks(page: PageSpec) -> list[_Block]:
    """The blocks around a page's items: its group (none for an item outside any group),
    or for a roster the groups it sits in and its repeat."""
    if page.is_implicit:
        return []
    if page.repeat is None:
        begin = _begin_row("group", page.group_name, page, page.relevant)
        return [_Block(page.group_name, "group", begin)]
    blocks = [_Block(g.path, "group", _begin_row("group", g.name, g)) for g in page.groups]
    path = "/".join((*(g.path for g in page.groups[-1:]), page.name))
    begin = _begin_row("repeat", page.name, page, own_relevant(page))
    return [*blocks, _Block(path, "repeat", begin)]


def _section_blocks(page: PageSpec, question: QuestionSpec, around: list[_Block]) -> list[_Block]:
    """The inner groups of the page holding `question`, outermost first."""
    if not question.section:
        return []
    base = around[-1].path
    parts = question.section.split("/")
    blocks = []
    for depth in range(1, len(parts) + 1):
        section = page.section("/".join(parts[:depth])) or SectionSpec(path=parts[depth - 1])
        begin = _begin_row("group", parts[depth - 1], section)
        blocks.append(_Block(f"{base}/{'/'.join(parts[:depth])}", "group", begin))
    return blocks


def _begin_row(
    block: str, name: str, where: PageSpec | SectionSpec, relevant: str | None = None
) -> dict[str, str]:
    repeat = where.repeat if isinstance(where, PageSpec) else None
    return {
        "type": f"begin {block}",
        "name": name,
        "relevant": where.relevant if relevant is None else relevant,
        "appearance": where.appearance,
        **_translated("label", where.labels),
        **{f"extra:{key}": value for key, value in _repeat_cells(repeat or RepeatSpec()).items()},
    }


def _question_values(question: QuestionSpec) -> dict[str, str]:
    qtype = question.type
    if qtype in SELECT_TYPES and is_choice_file(question.choice_list):
        # The list itself is written on the choices sheet, so the file reads on its own.
        qtype = f"{qtype}_from_file {question.choice_list}"
    elif qtype in SELECT_TYPES:
        qtype = f"{qtype} {question.choice_list}"
    return {
        "type": qtype,
        "name": question.xlsform_name,
        "required": "yes" if question.required else "",
        "relevant": question.relevant,
        "constraint": question.constraint,
        "calculation": question.calculation,
        "default": question.default,
        "choice_filter": question.choice_filter,
        "appearance": question.appearance,
        "privacy": question.privacy,
        "harmonise": question.harmonise,
        "attention_check": question.attention_expected,
        "other_choice": question.other_choice,
        **_translated("label", question.labels),
        **_translated("hint", question.hints),
        **_translated("required_message", question.required_message),
        **_translated("constraint_message", question.constraint_message),
        **{f"extra:{key}": value for key, value in question.extra.items()},
    }


def _choice_headers(form: FormSpec) -> list[tuple[str, str]]:
    headers = [("list_name", "list_name"), ("name", "name"), ("code", "code")]
    headers += [(_language_header("label", c, form), f"label:{c}") for c in form.languages]
    extra = dict.fromkeys(
        key
        for cl in form.choice_lists
        for choice in cl.choices
        for columns in (choice.extra, *choice.variants)
        for key in columns
    )
    return headers + [(key, f"extra:{key}") for key in extra]


def _choice_values(list_name: str, choice: ChoiceSpec) -> dict[str, str]:
    return {
        "list_name": list_name,
        "name": choice.name,
        "code": str(choice.code),
        **_translated("label", choice.labels),
        **{f"extra:{key}": value for key, value in choice.extra.items()},
    }


def _settings_values(form: FormSpec) -> dict[str, str]:
    values = dict(form.settings)
    source = form.source_language
    if source != DEFAULT_LANGUAGE:
        name = form.language_names.get(source, source)
        values["default_language"] = f"{name} ({source})" if name != source else source
    for code, text in form.title.items():
        key = "form_title" if code == source else _language_header("form_title", code, form)
        values[key] = text
    return values or {"form_title": ""}


__all__ = ["FormError", "read_xlsform", "write_xlsform"]
