"""The internal questionnaire schema: what an XLSForm or a native JSON file says, checked.

Django-free. Both readers (surveys/xlsform.py, surveys/formjson.py) produce a FormSpec and
the same checks (check_form) run on it, so an XLSForm and its JSON twin are refused for the
same reasons. FormSpec values compare equal exactly when the versions they describe are
equal; the `row` fields (where the item was read) are left out of that comparison.

Pages: a top-level XLSForm group is a page; groups inside it are its sections (a path
on each question, the sections' labels and `relevant` on the page). A question outside any
group gets a page of its own, named after the question (top-level names are unique, so this
cannot clash); writers recognise such a page (one question of the page's name, no label)
and write the question without a group. A group with a roster amid its items is asked in
parts around the roster (surveys/grouped_repeats.py): the later parts are pages named
`<group>#2`, ... (PART_SEPARATOR), which belong to the group as the first part does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import partial
from typing import Any

from surveys.calculations import CalculationCycleError, calculation_order
from surveys.expressions import ExpressionError, references
from surveys.references import Place, Places, UnresolvedReferenceError
from surveys.repeats import RepeatSpec

QUESTION_TYPES = (
    "select_one",
    "select_multiple",
    "integer",
    "decimal",
    "text",
    "note",
    "date",
    "time",
    "calculate",
)
SELECT_TYPES = ("select_one", "select_multiple")
PRIVACY_CLASSES = ("", "identifier", "quasi", "sensitive")
# Languages are keyed by code; labels of a form without language columns use this key.
DEFAULT_LANGUAGE = "default"

ERROR_AT = "{source}: {where}{problem}"
ERROR_DUPLICATE_NAME = "the name {name!r} is used twice (also on row {first_row})"
ERROR_NO_CALCULATION = "a calculate item needs a calculation"
ERROR_UNKNOWN_LIST = "choice list {list_name!r} is not on the choices sheet"
ERROR_EMPTY_LIST = "choice list {list_name!r} has no choices"
ERROR_UNKNOWN_REFERENCE = "refers to ${{{name}}}, which is not an item of this form"
ERROR_REFERENCE_SKIPPED = "refers to ${{{name}}}, which was skipped (unsupported type {type})"
ERROR_PRIVACY = "privacy {value!r} is not one of identifier, quasi, sensitive"
ERROR_NOT_SELECT = "{column} is set but the item is a {type}, not a select"
ERROR_OTHER_CHOICE = "other choice {choice!r} is not in list {list_name!r}"
ERROR_NO_QUESTIONS = "the form has no questions"
ERROR_EMPTY_REPEAT = "repeat {name!r} asks nothing (it holds no item a respondent answers)"
ERROR_CHOICE_CODES = "choice list {list_name!r}: choice codes must be unique"
ERROR_CHOICE_CODE_RANGE = "code {code} of choice {name!r} is outside {low}..{high}"
ERROR_TOO_LONG = "{value!r} is longer than {limit} characters"
ERROR_ATTENTION_CHOICE = "attention check answer {value!r} is not a choice of list {list_name!r}"
ERROR_SOURCE_LANGUAGE = "source language {code!r} is not one of the form's languages ({languages})"
ERROR_UNDECLARED_LANGUAGE = (
    "{where}: {field} has text in {code!r}, which is not one of the form's languages ({languages})"
)
ERROR_LANGUAGE_CODE = "language code {code!r} is longer than {limit} characters"

# The sizes of the database columns these values are stored in (surveys/models.py).
MAX_NAME_LENGTH = 100
# A choice name is what an answer stores; Kobo authors often paste a whole sentence as the
# name (pyxform sets no limit). 255 characters keep (list, name) within a btree index.
MAX_CHOICE_NAME_LENGTH = 255
MAX_LANGUAGE_CODE_LENGTH = 16
# Choice codes are stored as 32-bit integers (models.IntegerField, SPSS/Stata codes).
MIN_CHOICE_CODE, MAX_CHOICE_CODE = -(2**31), 2**31 - 1


# The XLSForm sheets a problem's row can be on.
SURVEY_SHEET = "survey"
CHOICES_SHEET = "choices"


@dataclass(frozen=True)
class FormProblem:
    """One bad row (or the whole form): the line shown to the author, and where it is, as far
    as that is known (a native JSON form has no sheets or rows; row 0 and "" mean unknown)."""

    message: str
    sheet: str = ""
    row: int = 0
    column: str = ""

    def as_dict(self) -> dict[str, object]:
        """The API's shape: unknown places are null, so a client need not know our zeros."""
        return {
            "message": self.message,
            "sheet": self.sheet or None,
            "row": self.row or None,
            "column": self.column or None,
        }


class FormError(ValueError):
    """The form is refused; the message names the file, the row and the column. A form
    with several bad rows is refused once for all of them: `details` holds one FormProblem
    per bad row and `problems` their lines (the message is those lines joined), so the
    author can mend them in one go."""

    def __init__(self, message: str, details: tuple[FormProblem, ...] = ()) -> None:
        super().__init__(message)
        self.details = details or (FormProblem(message),)
        self.problems = tuple(detail.message for detail in self.details)


# More lines than anyone reads before mending the first ones.
MAX_PROBLEMS = 50
ERROR_MORE_PROBLEMS = "... and {count} more problems"


def all_problems(errors: list[FormError]) -> FormError:
    """One refusal naming every problem found (the first MAX_PROBLEMS of them)."""
    if len(errors) == 1:
        return errors[0]
    by_line = {detail.message: detail for error in errors for detail in error.details}
    details = list(by_line.values())
    if len(details) > MAX_PROBLEMS:
        rest = len(details) - MAX_PROBLEMS
        details = [*details[:MAX_PROBLEMS], FormProblem(ERROR_MORE_PROBLEMS.format(count=rest))]
    return FormError("\n".join(detail.message for detail in details), tuple(details))


def form_error(
    source: str, problem: str, *, row: int = 0, column: str = "", sheet: str = SURVEY_SHEET
) -> FormError:
    """A refusal of one row (or of the form when no row is given); `sheet` is the sheet the
    row is on, kept only with a row (a native JSON form's rows are 0)."""
    where = ""
    if row:
        where += f"row {row}, "
    if column:
        where += f"column {column}: "
    elif row:
        where = f"row {row}: "
    message = ERROR_AT.format(source=source, where=where, problem=problem)
    detail = FormProblem(message, sheet if row else "", row, column)
    return FormError(message, (detail,))


@dataclass(frozen=True)
class ChoiceSpec:
    name: str
    code: int
    labels: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    # Further rows of the same name (settings `allow_choice_duplicates`): their extra
    # columns, so a cascade offers the choice under each (the county "king" in two states).
    variants: tuple[dict[str, str], ...] = ()
    row: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ChoiceListSpec:
    name: str
    choices: tuple[ChoiceSpec, ...]


def _about(description: str, **schema: Any) -> dict[str, Any]:
    """A QuestionSpec field's metadata: what it means (the JSON Schema's description) and
    any rule its Python type does not say (surveys/formjson_schema.py)."""
    return {"description": description, "schema": schema}


@dataclass(frozen=True)
class QuestionSpec:
    """One item of a form: the one declaration of a question's fields. The JSON format, its
    JSON Schema, the database copy and the respondent form's question are derived from it."""

    name: str = field(metadata=_about("The export name, unique in the form.", ref="name"))
    type: str = field(metadata=_about("What is asked.", enum=QUESTION_TYPES))
    labels: dict[str, str] = field(
        default_factory=dict, metadata=_about("The text shown, by language.", ref="texts")
    )
    hints: dict[str, str] = field(
        default_factory=dict, metadata=_about("Help shown under the label.", ref="texts")
    )
    required: bool = field(default=False, metadata=_about("An answer is needed to go on."))
    required_message: dict[str, str] = field(
        default_factory=dict,
        metadata=_about("Said when a required item is left empty.", ref="texts"),
    )
    relevant: str = field(default="", metadata=_about("Asked only when this expression holds."))
    constraint: str = field(default="", metadata=_about("An answer must satisfy this expression."))
    constraint_message: dict[str, str] = field(
        default_factory=dict,
        metadata=_about("Said when an answer breaks the constraint.", ref="texts"),
    )
    appearance: str = field(default="", metadata=_about("How the item is shown (XLSForm)."))
    choice_list: str = field(default="", metadata=_about("The list a select offers."))
    other_choice: str = field(
        default="", metadata=_about("The choice that opens an 'other, specify' text.")
    )
    privacy: str = field(
        default="", metadata=_about("How exports protect the answer.", enum=PRIVACY_CLASSES)
    )
    harmonise: str = field(default="", metadata=_about("The item-bank concept it asks."))
    attention_expected: str = field(
        default="", metadata=_about("The answer an attention check expects.")
    )
    extra: dict[str, str] = field(
        default_factory=dict, metadata=_about("Other columns, kept for round trips.", ref="extra")
    )
    calculation: str = field(
        default="", metadata=_about("A calculate item: the expression whose value it records.")
    )
    default: str = field(
        default="",
        metadata=_about(
            "The answer filled in before the respondent sees the item (an expression when"
            " it has ${})."
        ),
    )
    choice_filter: str = field(
        default="",
        metadata=_about("A cascading select: what a choice's columns must satisfy to be offered."),
    )
    section: str = field(
        default="",
        metadata=_about(
            "The group path within the page: '' directly on the page, 'a/b' in group b"
            " inside group a.",
            maxLength=300,
        ),
    )
    # See assign_export_names.
    written_name: str = field(
        default="",
        metadata=_about(
            "The name as written when it repeats across groups and `name` is derived from"
            " the group path; '' otherwise.",
            maxLength=MAX_NAME_LENGTH,
        ),
    )
    # Where the item was read; not part of the questionnaire.
    row: int = field(default=0, compare=False)

    @property
    def xlsform_name(self) -> str:
        return self.written_name or self.name


# Every field of a question besides what identifies it (name, type) and where it was read
# (row), in declaration order: what the JSON format and the database carry for each item.
# Derived from QuestionSpec, the one declaration, so a field added there reaches both.
QUESTION_ATTRIBUTES: tuple[str, ...] = tuple(
    spec_field.name
    for spec_field in fields(QuestionSpec)
    if spec_field.name not in {"name", "type", "row"}
)

# And with what identifies it: every field but where it was read, as a file carries it.
QUESTION_FIELDS: tuple[str, ...] = ("name", "type", *QUESTION_ATTRIBUTES)

# The fields holding a text per language (labels, hints, messages), as declared.
TRANSLATED_QUESTION_FIELDS: tuple[str, ...] = tuple(
    spec_field.name
    for spec_field in fields(QuestionSpec)
    if spec_field.metadata.get("schema", {}).get("ref") == "texts"
)


@dataclass(frozen=True)
class SectionSpec:
    """A group inside a page: a titled section whose `relevant` applies to all it holds."""

    path: str
    labels: dict[str, str] = field(default_factory=dict)
    relevant: str = ""
    appearance: str = ""
    row: int = field(default=0, compare=False)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        """The stored form (Page.sections and Page.group, the JSON format)."""
        return {
            "path": self.path,
            "labels": self.labels,
            "relevant": self.relevant,
            "appearance": self.appearance,
        }


def section_from_dict(data: dict[str, Any]) -> SectionSpec:
    """The inverse of SectionSpec.as_dict."""
    return SectionSpec(
        path=str(data["path"]),
        labels=dict(data.get("labels", {})),
        relevant=str(data.get("relevant", "")),
        appearance=str(data.get("appearance", "")),
    )


def groups_from_stored(value: object) -> tuple[SectionSpec, ...]:
    """A roster's groups (PageSpec.groups) from their stored form: a list of sections, or
    one section, as stored while a roster could only sit directly in a top-level group."""
    if isinstance(value, dict):
        return (section_from_dict(value),)
    if isinstance(value, list):
        return tuple(section_from_dict(item) for item in value if isinstance(item, dict))
    return ()


@dataclass(frozen=True)
class PageSpec:
    name: str
    questions: tuple[QuestionSpec, ...]
    labels: dict[str, str] = field(default_factory=dict)
    relevant: str = ""
    appearance: str = ""
    sections: tuple[SectionSpec, ...] = ()
    # A roster page (`begin repeat`): its items are asked once per instance.
    repeat: RepeatSpec | None = None
    # A roster written inside groups: those groups, outermost first, each with its path
    # from the top (`household`, `household/people`) and its own `relevant` (all already
    # joined into the roster's `relevant`), so the roster is written back inside them.
    groups: tuple[SectionSpec, ...] = ()
    row: int = field(default=0, compare=False)

    def section(self, path: str) -> SectionSpec | None:
        return next((s for s in self.sections if s.path == path), None)

    @property
    def is_implicit(self) -> bool:
        """A page made for one question outside any group (see the module docstring)."""
        return (
            len(self.questions) == 1
            and self.questions[0].name == self.name
            and not self.labels
            and not self.relevant
            and not self.appearance
            and not self.sections
            and self.repeat is None
            and not self.groups
        )

    @property
    def group_name(self) -> str:
        """The XLSForm group the page asks: its name, without the part number of a group
        split around a roster (`household#2` is the second page of `household`)."""
        return group_of(self.name)


# A group with a roster amid its items is asked in parts around the roster: the first
# keeps the group's name, the others are `<group>#2`, `<group>#3`, ... (`#` is never part
# of an XLSForm name, so no item or group can take such a name).
PART_SEPARATOR = "#"


def group_of(page_name: str) -> str:
    """The group a page belongs to (see PART_SEPARATOR)."""
    return page_name.partition(PART_SEPARATOR)[0]


def part_name(group: str, number: int) -> str:
    """The name of the `number`th page of `group` (the first keeps the group's name)."""
    return group if number == 1 else f"{group}{PART_SEPARATOR}{number}"


@dataclass(frozen=True)
class MetadataField:
    """An XLSForm metadata row (start, end, today, deviceid, ...): recorded, never asked."""

    name: str
    type: str


@dataclass(frozen=True)
class SkippedItem:
    row: int
    name: str
    type: str


@dataclass(frozen=True)
class FormSpec:
    languages: tuple[str, ...]
    source_language: str
    pages: tuple[PageSpec, ...]
    choice_lists: tuple[ChoiceListSpec, ...] = ()
    title: dict[str, str] = field(default_factory=dict)
    # Display names of the language codes ("en": "English"), for `label::English (en)`.
    language_names: dict[str, str] = field(default_factory=dict)
    # Other settings-sheet columns (form_id, version, style, ...), kept for round trips.
    settings: dict[str, str] = field(default_factory=dict)
    metadata_fields: tuple[MetadataField, ...] = ()
    skipped: tuple[SkippedItem, ...] = field(default=(), compare=False)
    # What the reader changed or ignored and the author should know (row and column named).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def questions(self) -> list[QuestionSpec]:
        return [question for page in self.pages for question in page.questions]

    def choice_list(self, name: str) -> ChoiceListSpec | None:
        return next((cl for cl in self.choice_lists if cl.name == name), None)


def choice_codes(names: list[str]) -> list[int]:
    """The name when every name of the list is an integer, else 1..n (docs/design.md exports)."""
    if names and all(_is_integer(name) for name in names):
        return [int(name) for name in names]
    return list(range(1, len(names) + 1))


def _is_integer(text: str) -> bool:
    return text.lstrip("-").isdigit() and len(text) < 10


def check_form(form: FormSpec, source: str) -> None:
    """Refuse a form whose names, lists, privacy classes or expressions do not hold."""
    questions = form.questions()
    if not questions:
        raise form_error(source, ERROR_NO_QUESTIONS)
    _check_languages(form, source)
    _check_names(form, source)
    _check_lengths(form, source)
    for choice_list in form.choice_lists:
        if len({choice.code for choice in choice_list.choices}) != len(choice_list.choices):
            raise form_error(source, ERROR_CHOICE_CODES.format(list_name=choice_list.name))
        _check_codes(choice_list, source)
    # Row by row, every problem is gathered before the form is refused.
    problems: list[FormError] = []
    for question in questions:
        _gathered(problems, _check_question, form, question, source)
    skipped = {item.name: item.type for item in form.skipped}
    everything = places(form)
    for page in form.pages:
        _gathered(
            problems,
            _check_expression,
            page.relevant,
            "relevant",
            page.row,
            everything,
            page_context(page),
            skipped,
            source,
        )
        if page.repeat is not None:
            if not any(q.type not in ("note", "calculate") for q in page.questions):
                problem = ERROR_EMPTY_REPEAT.format(name=page.name)
                raise form_error(source, problem, row=page.row, column="type")
            count, here = page.repeat.count, page_context(page)
            _check_expression(count, "repeat_count", page.row, everything, here, skipped, source)
        top = page_groups(page)
        for section in page.sections:
            here = (*top, *section.path.split("/")[:-1])
            _gathered(
                problems,
                _check_expression,
                section.relevant,
                "relevant",
                section.row,
                everything,
                here,
                skipped,
                source,
            )
        for question in page.questions:
            here = question_groups(page, question)
            expressions = [
                ("relevant", question.relevant),
                ("constraint", question.constraint),
                ("calculation", question.calculation),
                ("default", question.default if is_dynamic(question.default) else ""),
            ]
            for column, expression in expressions:
                _gathered(
                    problems,
                    _check_expression,
                    expression,
                    column,
                    question.row,
                    everything,
                    here,
                    skipped,
                    source,
                )
            _gathered(
                problems,
                partial(_check_expression, fields=True),
                question.choice_filter,
                "choice_filter",
                question.row,
                everything,
                here,
                skipped,
                source,
            )
    if problems:
        raise all_problems(problems)
    _check_calculation_order(form, everything, source)


def _gathered(problems: list[FormError], check: Callable[..., None], *args: Any) -> None:
    """Run one row's check, keeping its refusal to report with the others."""
    try:
        check(*args)
    except FormError as exc:
        problems.append(exc)


def _check_calculation_order(form: FormSpec, everything: Places, source: str) -> None:
    """Refuse calculations that read each other in a circle (surveys/calculations.py)."""
    reads: dict[str, set[str]] = {}
    rows: dict[str, int] = {}
    for page in form.pages:
        for question in page.questions:
            if question.type != "calculate":
                continue
            here = question_groups(page, question)
            # Each expression resolved where it is written, as the checks above do.
            written = [
                (question.calculation, here),
                (question.relevant, here),
                (page.relevant, page_context(page)),
            ]
            written += [
                (section.relevant, (*page_groups(page), *section.path.split("/")[:-1]))
                for section in page.sections
                if question.section == section.path
                or question.section.startswith(section.path + "/")
            ]
            names: set[str] = set()
            for expression, where in written:
                names |= references(everything.resolve(expression, where))
            reads[question.name] = names
            rows[question.name] = question.row
    try:
        calculation_order(reads)
    except CalculationCycleError as exc:
        raise form_error(source, str(exc), row=rows[exc.cycle[0]], column="calculation") from exc


def page_groups(page: PageSpec) -> tuple[str, ...]:
    """The group path of the page itself: its group's name (a roster's after the groups
    it sits in, as ODK places it), or nothing for an implicit page."""
    if page.is_implicit:
        return ()
    return (*roster_path(page.groups), page.group_name)


def page_context(page: PageSpec) -> tuple[str, ...]:
    """Where a page's own `relevant` (and a roster's count) is read from: a roster's
    place, as ODK reads the repeat's; the top for other pages."""
    return page_groups(page) if page.repeat is not None else ()


def roster_path(groups: tuple[SectionSpec, ...]) -> tuple[str, ...]:
    """The group names around a roster, outermost first (its innermost group's path)."""
    return tuple(groups[-1].path.split("/")) if groups else ()


def question_groups(page: PageSpec, question: QuestionSpec) -> tuple[str, ...]:
    sections = tuple(question.section.split("/")) if question.section else ()
    return (*page_groups(page), *sections)


def places(form: FormSpec) -> Places:
    """Where every item of the form sits, to resolve its references (references.py)."""
    found = [Place(m.name, m.name, ()) for m in form.metadata_fields]
    for page in form.pages:
        found += [Place(q.name, q.xlsform_name, question_groups(page, q)) for q in page.questions]
    # A roster's own name is a node set: count(${members}) counts its instances.
    found += [
        Place(page.name, page.name, roster_path(page.groups))
        for page in form.pages
        if page.repeat is not None
    ]
    return Places(found)


_DYNAMIC = re.compile(r"\$\{|[A-Za-z]\s*\(|^\s*\.\.?/")


def is_dynamic(default: str) -> bool:
    """A `default` is an expression when it refers to an item or calls a function."""
    return bool(_DYNAMIC.search(default))


def assign_export_names(pages: list[PageSpec]) -> list[PageSpec]:
    """Give items whose written name repeats across groups unique export names.

    The name becomes the innermost group names joined to it with `_`, as few groups as
    make it unique (`household_age`, then `roster_household_age`), with `_2`, `_3`, ...
    when even the whole path clashes; the written name is kept in `written_name`. Names
    that occur once stay as they are, so ordinary forms are untouched.
    """
    counts: dict[str, int] = {}
    for page in pages:
        for question in page.questions:
            counts[question.xlsform_name] = counts.get(question.xlsform_name, 0) + 1
    taken = {
        q.xlsform_name for page in pages for q in page.questions if counts[q.xlsform_name] == 1
    }
    result = []
    for page in pages:
        questions = []
        for question in page.questions:
            written = question.xlsform_name
            if counts[written] == 1:
                questions.append(replace(question, name=written, written_name=""))
                continue
            key = _unique_key(written, question_groups(page, question), taken)
            taken.add(key)
            questions.append(replace(question, name=key, written_name=written))
        result.append(replace(page, questions=tuple(questions)))
    return result


def _unique_key(name: str, groups: tuple[str, ...], taken: set[str]) -> str:
    candidates = ["_".join((*groups[-depth:], name)) for depth in range(1, len(groups) + 1)]
    for key in candidates or [name]:
        if key not in taken:
            return key
    base = "_".join((*groups, name))
    number = 2
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def _check_names(form: FormSpec, source: str) -> None:
    """Export names are unique in the form; written names among siblings (one group)."""
    seen: dict[str, int] = {}
    siblings: dict[tuple[str, ...], int] = {}
    for page in form.pages:
        if not page.is_implicit:
            if (page.name,) in siblings:
                first = siblings[(page.name,)]
                problem = ERROR_DUPLICATE_NAME.format(name=page.name, first_row=first)
                raise form_error(source, problem, row=page.row, column="name")
            siblings[(page.name,)] = page.row
        for question in page.questions:
            path = (*question_groups(page, question), question.xlsform_name)
            earlier = siblings.get(path, seen.get(question.name))
            if earlier is not None:
                problem = ERROR_DUPLICATE_NAME.format(name=question.xlsform_name, first_row=earlier)
                raise form_error(source, problem, row=question.row, column="name")
            siblings[path] = seen[question.name] = question.row


def _check_languages(form: FormSpec, source: str) -> None:
    """Every text is in a declared language, and the source language is one of them (the
    XLSForm reader declares languages from its columns; a JSON file declares them)."""
    declared = ", ".join(form.languages)
    for code in form.languages:
        if len(code) > MAX_LANGUAGE_CODE_LENGTH:
            problem = ERROR_LANGUAGE_CODE.format(code=code, limit=MAX_LANGUAGE_CODE_LENGTH)
            raise form_error(source, problem)
    if form.source_language not in form.languages:
        problem = ERROR_SOURCE_LANGUAGE.format(code=form.source_language, languages=declared)
        raise form_error(source, problem)
    for where, field_name, texts, row in _texts(form):
        for code in texts:
            if code not in form.languages:
                problem = ERROR_UNDECLARED_LANGUAGE.format(
                    where=where, field=field_name, code=code, languages=declared
                )
                raise form_error(source, problem, row=row)


def _texts(form: FormSpec) -> list[tuple[str, str, dict[str, str], int]]:
    """(where, field, texts by language, row) for every translated text of the form."""
    texts = []
    for page in form.pages:
        texts.append((f"page {page.name!r}", "labels", page.labels, page.row))
        texts += [
            (f"item {q.name!r}", name, getattr(q, name), q.row)
            for q in page.questions
            for name in TRANSLATED_QUESTION_FIELDS
        ]
    for choice_list in form.choice_lists:
        for choice in choice_list.choices:
            where = f"choice {choice.name!r} of list {choice_list.name!r}"
            texts.append((where, "labels", choice.labels, choice.row))
    return texts


def _check_lengths(form: FormSpec, source: str) -> None:
    """Names and short columns fit their database columns (100 characters; a choice
    name 255)."""
    values: list[tuple[str, int, str]] = [(m.name, 0, "name") for m in form.metadata_fields]
    for page in form.pages:
        values += [(page.name, page.row, "name"), (page.appearance, page.row, "appearance")]
        for q in page.questions:
            values += [
                (q.name, q.row, "name"),
                (q.appearance, q.row, "appearance"),
                (q.choice_list, q.row, "type"),
                (q.other_choice, q.row, "other_choice"),
                (q.harmonise, q.row, "harmonise"),
                (q.attention_expected, q.row, "attention_check"),
            ]
    for value, row, column in values:
        if len(value) > MAX_NAME_LENGTH:
            problem = ERROR_TOO_LONG.format(value=value, limit=MAX_NAME_LENGTH)
            raise form_error(source, problem, row=row, column=column)
    for choice_list in form.choice_lists:
        for choice in choice_list.choices:
            for value, column, limit in (
                (choice_list.name, "list_name", MAX_NAME_LENGTH),
                (choice.name, "name", MAX_CHOICE_NAME_LENGTH),
            ):
                if len(value) > limit:
                    problem = ERROR_TOO_LONG.format(value=value, limit=limit)
                    raise form_error(
                        source, problem, row=choice.row, column=column, sheet=CHOICES_SHEET
                    )


def _check_codes(choice_list: ChoiceListSpec, source: str) -> None:
    for choice in choice_list.choices:
        if not MIN_CHOICE_CODE <= choice.code <= MAX_CHOICE_CODE:
            problem = ERROR_CHOICE_CODE_RANGE.format(
                code=choice.code, name=choice.name, low=MIN_CHOICE_CODE, high=MAX_CHOICE_CODE
            )
            raise form_error(source, problem, row=choice.row, column="code", sheet=CHOICES_SHEET)


def _check_question(form: FormSpec, question: QuestionSpec, source: str) -> None:
    row = question.row
    if question.privacy not in PRIVACY_CLASSES:
        raise form_error(
            source, ERROR_PRIVACY.format(value=question.privacy), row=row, column="privacy"
        )
    if question.type == "calculate" and not question.calculation.strip():
        raise form_error(source, ERROR_NO_CALCULATION, row=row, column="calculation")
    if question.type not in SELECT_TYPES:
        if question.choice_list or question.other_choice:
            problem = ERROR_NOT_SELECT.format(column="choice list", type=question.type)
            raise form_error(source, problem, row=row, column="type")
        return
    choice_list = form.choice_list(question.choice_list)
    if choice_list is None:
        problem = ERROR_UNKNOWN_LIST.format(list_name=question.choice_list)
        raise form_error(source, problem, row=row, column="type")
    if not choice_list.choices:
        problem = ERROR_EMPTY_LIST.format(list_name=question.choice_list)
        raise form_error(source, problem, row=row, column="type")
    names = {choice.name for choice in choice_list.choices}
    if question.other_choice and question.other_choice not in names:
        problem = ERROR_OTHER_CHOICE.format(
            choice=question.other_choice, list_name=choice_list.name
        )
        raise form_error(source, problem, row=row, column="type")
    # A select_multiple check may expect several choices, space-separated (XLSForm style).
    expected = question.attention_expected.split()
    if question.type == "select_one" and question.attention_expected:
        expected = [question.attention_expected]
    for value in expected:
        if value not in names:
            problem = ERROR_ATTENTION_CHOICE.format(value=value, list_name=choice_list.name)
            raise form_error(source, problem, row=row, column="attention_check")


def _check_expression(
    expression: str,
    column: str,
    row: int,
    everything: Places,
    here: tuple[str, ...],
    skipped: dict[str, str],
    source: str,
    *,
    fields: bool = False,
) -> None:
    try:
        # Syntax first, so a broken expression is named as such.
        references(expression, fields=fields)
        for name in sorted(references(expression, fields=fields)):
            if (
                name in skipped
                and name not in everything.by_written
                and name not in everything.keys
            ):
                problem = ERROR_REFERENCE_SKIPPED.format(name=name, type=skipped[name])
                raise form_error(source, problem, row=row, column=column)
        references(everything.resolve(expression, here), fields=fields)
    except UnresolvedReferenceError as exc:
        raise form_error(source, str(exc), row=row, column=column) from exc
    except ExpressionError as exc:
        raise form_error(source, str(exc), row=row, column=column) from exc
