"""Reading a submitted page: type checks, `required`, `constraint` and `relevant`.

Rules (XLSForm spec, https://xlsform.org): an item whose `relevant` is false is neither
asked nor stored, and a page (group) whose `relevant` is false hides all its items; a
`required` item needs an answer; a `constraint` is checked with `.` bound to the answer.
Messages come from the questionnaire (`required_message`, `constraint_message`) in the
respondent's language, else from the translated defaults below.

A broken expression in a published version must not lock respondents out: a `relevant`
that cannot be evaluated shows the item (asking too much beats skipping), and a
`constraint` that cannot be evaluated accepts the answer. Both are logged by item name.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from respondents.services.form_schema import (
    FormChoice,
    FormPage,
    FormQuestion,
    FormSchema,
    localise,
)
from surveys.expressions import Context, ExpressionError, evaluate, is_true
from surveys.formspec import is_dynamic
from surveys.models import QuestionType
from surveys.repeats import ROSTERS_KEY, fixed_count
from surveys.xlsform import PHONE_CONSTRAINT

logger = logging.getLogger(__name__)

# Long enough for any open answer on a phone, short enough that a script cannot fill the
# table with megabytes per response.
TEXT_MAX_CHARS = 5000
# Beyond what a JSON number holds exactly (2**53) an "integer" answer is a typo or a probe.
INTEGER_MAX_DIGITS = 15
INTEGER_PATTERN = re.compile(r"^[+-]?\d{1,%d}$" % INTEGER_MAX_DIGITS)  # noqa: UP031
# Russian keyboards type a decimal comma; both separators are accepted.
DECIMAL_PATTERN = re.compile(r"^[+-]?(\d{1,15}([.,]\d{1,10})?|[.,]\d{1,10})$")
RUSSIAN_DATE_PATTERN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
# 9:30, 09:30, 09:30:00, 09:30:00.000+03:00 (as ODK writes a time).
TIME_PATTERN = re.compile(
    r"^(?P<hours>\d{1,2}):(?P<minutes>\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
# Phone numbers as people write them: "+7 912 345-67-61", "(030) 1234.5678".
PHONE_SEPARATORS = re.compile(r"[\s\-().\u00a0]")
PHONE_PATTERN = re.compile(r"^\+?\d{3,20}$")
_NUMBER = r"(-?\d+(?:\.\d+)?|'\d{4}-\d{2}-\d{2}'|today\(\))"
_BOUND = re.compile(rf"^\s*\.\s*(>=|<=|>|<)\s*{_NUMBER}\s*$")
_LENGTH = re.compile(r"^\s*string-length\(\s*\.\s*\)\s*(<=|<)\s*(\d+)\s*$")
_COUNT = re.compile(r"^\s*count-selected\(\s*\.\s*\)\s*(<=|<)\s*(\d+)\s*$")

AnswerValue = str | int | float | list[str]
RawData = Mapping[str, Sequence[str]]


@dataclass
class PageCheck:
    """The outcome of reading one page: parsed values (None = unanswered) and errors."""

    values: dict[str, AnswerValue | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    visible: list[str] = field(default_factory=list)


def _is_true_or(
    expression: str,
    answers: Mapping[str, object],
    default: bool,
    *,
    item: str,
    current: object = None,
) -> bool:
    try:
        return is_true(expression, answers, current=current)
    except ExpressionError:
        logger.warning("expression of %s cannot be evaluated; treated as %s", item, default)
        return default


def page_is_relevant(page: FormPage, answers: Mapping[str, object]) -> bool:
    return _is_true_or(page.relevant, answers, True, item=page.name)


def question_is_relevant(question: FormQuestion, answers: Mapping[str, object]) -> bool:
    """The item's own `relevant` and those of every group around it on its page."""
    return all(
        _is_true_or(condition, answers, True, item=question.name)
        for condition in (*question.conditions, question.relevant)
    )


def choice_context(schema: FormSchema, language: str) -> Context:
    """What jr:choice-name() needs: the label of a choice of an item, in `language`."""

    def label(key: str, value: str) -> str:
        question = schema.question(key)
        if question is None:
            return value
        choice = next((c for c in question.choices if c.name == value), None)
        if choice is None:
            return value
        return localise(choice.labels, language, schema.source_language, value)

    return Context(choice_label=label)


def with_calculations(
    schema: FormSchema, answers: Mapping[str, object], *, language: str
) -> dict[str, object]:
    """The answers with every `calculate` item's value, each computed after the
    calculations it reads (surveys/calculations.py), so one pass gives every value.

    A calculation whose page or groups are not relevant is empty, as in ODK. One wrapped
    in once() keeps its first non-empty value. A calculation that cannot be evaluated is
    logged and left empty.
    """
    result = dict(answers)
    # Rosters as node sets: sum(${age}) and count(${members}) read the entries, also of
    # a roster not answered yet (none). Taken out again below: namespace only.
    owners = {q.name: p.name for p in schema.pages if p.repeat is not None for q in p.questions}
    absent = [p.name for p in schema.pages if p.repeat is not None and p.name not in result]
    if owners:
        result.update({name: [] for name in absent})
        result[ROSTERS_KEY] = owners
    context = choice_context(schema, language)
    for page, question in schema.calculations():
        keep = question.calculation.strip().startswith("once(")
        if keep and result.get(question.name) not in (None, ""):
            continue
        if not (page_is_relevant(page, result) and question_is_relevant(question, result)):
            result.pop(question.name, None)
            continue
        try:
            value = evaluate(question.calculation, result, context=context)
        except ExpressionError:
            logger.warning("calculation of %s cannot be evaluated", question.name)
            value = ""
        if isinstance(value, float) and not math.isfinite(value):
            value = ""
        if value in ("", None):
            result.pop(question.name, None)
        else:
            result[question.name] = value
    for name in [*absent, ROSTERS_KEY]:
        result.pop(name, None)
    return result


def offered_choices(
    question: FormQuestion, answers: Mapping[str, object]
) -> tuple[FormChoice, ...]:
    """The choices a cascading select offers given the answers (all without a filter).

    A filter that cannot be evaluated offers every choice: asking too much beats a list
    the respondent cannot answer."""
    if not question.choice_filter.strip():
        return question.choices
    offered = []
    for choice in question.choices:
        try:
            keep = any(
                is_true(question.choice_filter, answers, context=Context(fields=fields))
                for fields in (choice.fields, *choice.alternatives)
            )
        except ExpressionError:
            logger.warning("choice_filter of %s cannot be evaluated", question.name)
            return question.choices
        if keep:
            offered.append(choice)
    return tuple(offered)


def page_is_asked(page: FormPage, answers: Mapping[str, object]) -> bool:
    """Relevant, and showing something: a page of calculations alone is never visited,
    nor a roster whose repeat_count comes to no entry."""
    shown = any(q.is_shown for q in page.questions) and page_is_relevant(page, answers)
    if shown and page.repeat is not None and page.repeat.is_fixed:
        try:
            return fixed_count(evaluate(page.repeat.count, answers)) > 0
        except ExpressionError:
            logger.warning("repeat_count of %s cannot be evaluated", page.name)
            return False
    return shown


def relevant_pages(schema: FormSchema, answers: Mapping[str, object]) -> list[FormPage]:
    return [page for page in schema.pages if page_is_asked(page, answers)]


def prune_hidden(schema: FormSchema, answers: Mapping[str, object]) -> dict[str, object]:
    """The answers without those of items now hidden by `relevant`.

    Pages and items are visited in order, so an item hidden early cannot keep a later one
    visible through its stale answer.
    """
    kept = dict(answers)
    for page in schema.pages:
        page_shown = page_is_relevant(page, kept)
        if page.repeat is not None:
            # A roster's instances are checked item by item when its page is submitted.
            if not page_shown:
                kept.pop(page.name, None)
            continue
        for question in page.questions:
            if page_shown and is_shown(question, kept):
                if question.other_choice and kept.get(question.name) != question.other_choice:
                    kept.pop(question.other_name, None)
                if question.choice_filter and not _still_offered(question, kept):
                    kept.pop(question.name, None)
                continue
            kept.pop(question.name, None)
            kept.pop(question.other_name, None)
    return kept


def is_shown(question: FormQuestion, answers: Mapping[str, object]) -> bool:
    """Relevant, and for a cascading select, offering at least one choice: a district
    list waits until its region is chosen (on the same page, the page is shown again)."""
    if not question_is_relevant(question, answers):
        return False
    return not question.choice_filter or bool(offered_choices(question, answers))


def _still_offered(question: FormQuestion, answers: Mapping[str, object]) -> bool:
    """A cascade's answer is dropped once its parent changes and no longer offers it."""
    value = answers.get(question.name)
    if value is None:
        return True
    names = {choice.name for choice in offered_choices(question, answers)}
    chosen = value if isinstance(value, list) else [value]
    return all(str(item) in names for item in chosen)


def _present(raw: RawData, name: str) -> list[str]:
    # NUL cannot be stored in PostgreSQL JSON and has no place in an answer.
    values = [str(value).replace("\x00", "").strip() for value in raw.get(name, ())]
    return [value for value in values if value]


def _parse_date(text: str) -> str | None:
    russian = RUSSIAN_DATE_PATTERN.fullmatch(text)
    if russian:
        text = f"{russian.group(3)}-{int(russian.group(2)):02d}-{int(russian.group(1)):02d}"
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _parse_time(text: str) -> str | None:
    """A time of day as "HH:MM"; seconds (an XLSForm default such as 09:30:00) and a
    time-zone suffix are dropped, since the respondent answers to the minute."""
    match = TIME_PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match["hours"]), int(match["minutes"])
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


def _parse_number(question: FormQuestion, text: str) -> tuple[AnswerValue | None, str]:
    if question.type == QuestionType.INTEGER:
        if INTEGER_PATTERN.fullmatch(text):
            return int(text), ""
        return None, _("Enter a whole number.")
    if DECIMAL_PATTERN.fullmatch(text):
        number = float(text.replace(",", "."))
        if math.isfinite(number):
            return number, ""
    return None, _("Enter a number.")


def parse_answer(
    question: FormQuestion, raw: RawData, answers: Mapping[str, object] | None = None
) -> tuple[AnswerValue | None, str]:
    """The typed answer (None if unanswered) and a type error message ("" when fine).
    A cascading select accepts only the choices its filter offers given `answers`."""
    present = _present(raw, question.name)
    if not present:
        return None, ""
    names = [choice.name for choice in offered_choices(question, answers or {})]
    if question.type == QuestionType.SELECT_ONE:
        if len(present) == 1 and present[0] in names:
            return present[0], ""
        return None, _("Choose one of the options.")
    if question.type == QuestionType.SELECT_MULTIPLE:
        if set(present) <= set(names):
            return [name for name in names if name in present], ""
        return None, _("Choose among the options shown.")
    if question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        return _parse_number(question, present[0])
    if question.type == QuestionType.DATE:
        parsed = _parse_date(present[0])
        if parsed is None:
            return None, _("Enter a date as YYYY-MM-DD.")
        return parsed, ""
    if question.type == QuestionType.TIME:
        parsed_time = _parse_time(present[0])
        if parsed_time is None:
            return None, _("Enter a time as HH:MM, for example 09:30.")
        return parsed_time, ""
    text = present[0]
    if is_phone(question):
        number = PHONE_SEPARATORS.sub("", text)
        if not PHONE_PATTERN.fullmatch(number):
            return None, _("Enter a phone number: digits, optionally starting with +.")
        return number, ""
    if len(text) > TEXT_MAX_CHARS:
        return None, _("Keep the answer under %(count)d characters.") % {"count": TEXT_MAX_CHARS}
    return text, ""


def _message(texts: dict[str, str], language: str, fallback: str, default: str) -> str:
    return localise(texts, language, fallback, default)


def check_page(
    schema: FormSchema,
    page: FormPage,
    raw: RawData,
    answers: Mapping[str, object],
    *,
    language: str,
    enforce_required: bool = True,
) -> PageCheck:
    """Parse and check every item of `page` that is relevant given the answers so far
    together with this page's own answers (a same-page `relevant` works without script)."""
    parsed: dict[str, tuple[AnswerValue | None, str]] = {
        question.name: parse_answer(question, raw, answers)
        for question in page.questions
        if question.is_asked
    }
    merged: dict[str, object] = dict(answers)
    merged.update({name: value for name, (value, _error) in parsed.items() if value is not None})
    # A cascade on the same page as its parent: read again with this page's answers.
    for question in page.questions:
        if question.is_asked and question.choice_filter:
            parsed[question.name] = parse_answer(question, raw, merged)
            value = parsed[question.name][0]
            if value is None:
                merged.pop(question.name, None)
            else:
                merged[question.name] = value
    merged = with_calculations(schema, merged, language=language)
    check = PageCheck()
    for question in page.questions:
        if not question.is_shown or not is_shown(question, merged):
            continue
        check.visible.append(question.name)
        if not question.is_asked:
            continue
        value, error = parsed[question.name]
        error = error or _check_value(
            schema,
            question,
            value,
            raw,
            merged,
            language=language,
            enforce_required=enforce_required,
        )
        if error:
            check.errors[question.name] = error
            continue
        check.values[question.name] = value
        if question.other_choice:
            other = _present(raw, question.other_name)
            check.values[question.other_name] = (
                other[0][:TEXT_MAX_CHARS] if other and value == question.other_choice else None
            )
    return check


def _check_value(
    schema: FormSchema,
    question: FormQuestion,
    value: AnswerValue | None,
    raw: RawData,
    merged: Mapping[str, object],
    *,
    language: str,
    enforce_required: bool,
) -> str:
    fallback = schema.source_language
    if value is None:
        if question.required and enforce_required:
            return _message(
                question.required_message,
                language,
                fallback,
                _("This question requires an answer."),
            )
        return ""
    if (
        question.other_choice
        and value == question.other_choice
        and enforce_required
        and not _present(raw, question.other_name)
    ):
        return _("Please specify your answer.")
    if (
        question.constraint
        and not is_phone(question)
        and not _is_true_or(question.constraint, merged, True, item=question.name, current=value)
    ):
        return _message(
            question.constraint_message, language, fallback, describe_constraint(question)
        )
    return ""


def is_phone(question: FormQuestion) -> bool:
    """A `phone number` item (the reader gives it pyxform's digits constraint): written
    with spaces, dashes, brackets or a leading + it is accepted and kept as +digits."""
    return question.constraint == PHONE_CONSTRAINT


def describe_constraint(question: FormQuestion) -> str:
    """A sentence saying what the constraint expects, for the forms that give no message:
    bounds on a number or date, a length, a number of choices; else a general one."""
    parts = [part for part in re.split(r"\s+and\s+", question.constraint.strip()) if part]
    bounds: dict[str, str] = {}
    strict = False
    for part in parts:
        bound = _BOUND.fullmatch(part)
        if bound is None:
            break
        value = bound[2].strip("'").replace("today()", str(_("today")))
        bounds["low" if bound[1].startswith(">") else "high"] = value
        strict = strict or bound[1] in (">", "<")
    else:
        if "low" in bounds and "high" in bounds and not strict:
            return _("Enter a value from %(low)s to %(high)s.") % bounds
        if "low" in bounds and "high" in bounds:
            return _("Enter a value between %(low)s and %(high)s.") % bounds
        if "low" in bounds:
            if strict:
                return _("Enter a value greater than %(low)s.") % bounds
            return _("Enter a value of at least %(low)s.") % bounds
        if "high" in bounds:
            if strict:
                return _("Enter a value less than %(high)s.") % bounds
            return _("Enter a value of at most %(high)s.") % bounds
    length = _LENGTH.fullmatch(question.constraint)
    if length:
        return _("Keep the answer to %(count)s characters or fewer.") % {"count": length[2]}
    count = _COUNT.fullmatch(question.constraint)
    if count:
        return _("Choose at most %(count)s options.") % {"count": count[2]}
    if "regex(" in question.constraint:
        return _("This answer is not in the expected form; check what the question asks.")
    return _("This answer is not allowed; check what the question asks.")


def _default(question: FormQuestion, answers: Mapping[str, object]) -> object:
    if not is_dynamic(question.default):
        text = question.default
        if question.type == QuestionType.TIME:
            # A time input shows HH:MM only; an XLSForm default carries seconds (09:30:00).
            return _parse_time(text) or text
        return text.split() if question.type == QuestionType.SELECT_MULTIPLE else text
    try:
        value = evaluate(question.default, answers)
    except ExpressionError:
        logger.warning("default of %s cannot be evaluated", question.name)
        return None
    return None if value in ("", None) else value


def answers_as_raw(page: FormPage, answers: Mapping[str, object]) -> dict[str, list[str]]:
    """Stored answers of a page as the strings a form posts, to fill the form again; an
    item not answered yet shows its `default` (evaluated when it is an expression)."""
    raw: dict[str, list[str]] = {}
    for question in page.questions:
        value = answers.get(question.name)
        if value is None and question.default and question.is_asked:
            value = _default(question, answers)
        if isinstance(value, list):
            raw[question.name] = [str(item) for item in value]
        elif isinstance(value, float) and value.is_integer():
            raw[question.name] = [
                str(int(value)) if question.type == QuestionType.INTEGER else str(value)
            ]
        elif value is not None:
            raw[question.name] = [str(value)]
        other = answers.get(question.other_name)
        if question.other_choice and other is not None:
            raw[question.other_name] = [str(other)]
    return raw
