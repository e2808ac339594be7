"""Roster pages (XLSForm repeats): reading, checking and counting a roster's instances.

A roster is stored as a list of instances under the repeat's name in the response's
answers, each instance a mapping of item names to answers (surveys/repeats.py). Each
instance is checked exactly like a page (respondents/services/answers.py) in its own
namespace: the answers outside the roster, with the instance's own answers over them and
its position, so `${x}` inside a repeat means this instance's x and `position(..)` its
number; the roster's calculations are computed per instance. Outside the roster,
`count(${members})` and `sum(${item})` read the stored instances (surveys/expressions.py).

Posted fields carry the instance in their name (`members:2:age`), so one plain form holds
every instance; "add another" and "remove" are submit buttons whose action this module
applies (no script needed, post/redirect/get like every page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from respondents.services.answers import (
    AnswerValue,
    PageCheck,
    check_page,
    with_calculations,
)
from respondents.services.form_schema import FormPage, FormSchema
from surveys.expressions import ExpressionError, evaluate
from surveys.models import QuestionType
from surveys.repeats import POSITION_KEY, RepeatSpec, fixed_count, instances

# The action of a roster's buttons: `roster:add`, `roster:remove:<position>`.
ROSTER_ACTION = "roster:"
ADD = "add"
REMOVE = "remove:"
SEPARATOR = ":"


def field_name(roster: str, position: int, item: str) -> str:
    """The posted name of an instance's item; `:` is never part of an XLSForm name."""
    return f"{roster}{SEPARATOR}{position}{SEPARATOR}{item}"


def roster_entry(page: FormPage, key: str, item: str) -> int | None:
    """The entry number when `key` is the posted field of `item` on roster `page`."""
    if page.repeat is None or not key.startswith(page.name + SEPARATOR):
        return None
    number, _sep, name = key.removeprefix(page.name + SEPARATOR).partition(SEPARATOR)
    return int(number) if number.isdigit() and name == item else None


def instance_page(page: FormPage) -> FormPage:
    """The roster's items as one ordinary page (what one instance asks)."""
    return replace(page, repeat=None, relevant="")


def instance_schema(schema: FormSchema, page: FormPage) -> FormSchema:
    """A schema of the one instance page, so its calculations run in form order."""
    return replace(schema, pages=(instance_page(page),))


def scope(
    answers: Mapping[str, object], instance: Mapping[str, object], position: int
) -> dict[str, object]:
    """The namespace an instance's expressions read (see the module docstring)."""
    return {**answers, **instance, POSITION_KEY: position}


def entry_scope(
    page: FormPage,
    answers: Mapping[str, object],
    raw: Mapping[str, Sequence[str]],
    entry: int | None,
) -> dict[str, object]:
    """What a text about an item of `page` reads, as the page's own labels do: the answers
    with the page's posted values over them; for an entry of a roster (`entry` not None)
    that entry's answers and position."""
    posted = (
        raw_of_instance(page, raw, entry)
        if entry is not None
        else {k: list(v) for k, v in raw.items()}
    )
    typed = {k: list(v) if len(v) > 1 else v[0] for k, v in posted.items() if v}
    if entry is None or page.repeat is None:
        return {**answers, **typed}
    entries = stored_instances(page, answers)
    own = entries[entry - 1] if 1 <= entry <= len(entries) else {}
    outside = {k: v for k, v in answers.items() if k != page.name}
    return scope(outside, {**own, **typed}, entry)


def stored_instances(page: FormPage, answers: Mapping[str, object]) -> list[dict[str, object]]:
    return instances(answers.get(page.name))


def instance_count(page: FormPage, answers: Mapping[str, object]) -> int:
    """How many instances the roster shows now: a fixed count evaluated on the answers;
    the first count when add and remove are off (jr:noAddRemove); else those stored, or
    the first count when the roster was never answered."""
    repeat = page.repeat or RepeatSpec()
    if repeat.is_fixed:
        try:
            return fixed_count(evaluate(repeat.count, answers))
        except ExpressionError:
            return 0
    if repeat.no_add_remove:
        # ODK's jr:noAddRemove without a count: the instances the form starts with.
        return repeat.first_count
    if page.name in answers:
        return min(len(stored_instances(page, answers)), repeat.upper)
    return repeat.first_count


def raw_of_instance(
    page: FormPage, raw: Mapping[str, Sequence[str]], position: int
) -> dict[str, list[str]]:
    """The posted fields of one instance, under the items' own names."""
    prefix = field_name(page.name, position, "")
    return {
        key.removeprefix(prefix): [str(v) for v in values]
        for key, values in raw.items()
        if key.startswith(prefix)
    }


def check_roster(
    schema: FormSchema,
    page: FormPage,
    raw: Mapping[str, Sequence[str]],
    answers: Mapping[str, object],
    *,
    language: str,
    enforce_required: bool = True,
    edit: str = "",
) -> PageCheck:
    """Check every instance as a page, then apply `edit` ("add", "remove:<n>").

    The result's values hold the whole roster under its name (valid answers only, so
    "stay" and "back" keep what was typed correctly); errors and visible items are keyed
    by posted field name, and the roster's own name carries a count error.
    """
    repeat = page.repeat or RepeatSpec()
    one = instance_schema(schema, page)
    items = one.pages[0]
    calculated = [q.name for q in items.questions if q.type == QuestionType.CALCULATE]
    outside = {k: v for k, v in answers.items() if k != page.name}
    check = PageCheck(visible=[page.name])
    kept: list[dict[str, object]] = []
    for position in range(1, instance_count(page, answers) + 1):
        namespace = scope(outside, {}, position)
        part = check_page(
            one,
            items,
            raw_of_instance(page, raw, position),
            namespace,
            language=language,
            enforce_required=enforce_required,
        )
        values: dict[str, object] = {
            k: v for k, v in part.values.items() if v is not None and k not in part.errors
        }
        computed = with_calculations(one, {**namespace, **values}, language=language)
        values.update({name: computed[name] for name in calculated if name in computed})
        kept.append(values)
        check.visible += [field_name(page.name, position, name) for name in part.visible]
        check.errors.update(
            {field_name(page.name, position, k): error for k, error in part.errors.items()}
        )
    if not repeat.is_locked:
        kept = _edited(kept, repeat, edit)
        if enforce_required and not edit and len(kept) < repeat.min_count:
            check.errors[page.name] = too_few_message(repeat)
    check.values = {page.name: _stored(kept)}
    return check


def _edited(
    kept: list[dict[str, object]], repeat: RepeatSpec, edit: str
) -> list[dict[str, object]]:
    """Add an empty instance or remove one, within the roster's bounds (a request past a
    bound, from an old tab or a crafted post, changes nothing)."""
    if edit == ADD and len(kept) < repeat.upper:
        return [*kept, {}]
    if edit.startswith(REMOVE) and len(kept) > repeat.min_count:
        number = edit.removeprefix(REMOVE)
        if number.isdigit() and 1 <= int(number) <= len(kept):
            return kept[: int(number) - 1] + kept[int(number) :]
    return kept


def _stored(kept: list[dict[str, object]]) -> AnswerValue:
    # The answers document is JSON; an instance is a mapping of JSON values.
    return kept  # type: ignore[return-value]


def too_few_message(repeat: RepeatSpec) -> str:
    return ngettext(
        "Add at least %(count)d entry.", "Add at least %(count)d entries.", repeat.min_count
    ) % {"count": repeat.min_count}


def bounds_note(repeat: RepeatSpec, count: int) -> str:
    """What the respondent is told about the roster's size ("" when nothing to say)."""
    if repeat.is_locked:
        return ""
    if count >= repeat.upper:
        return ngettext(
            "You can list at most %(count)d entry.",
            "You can list at most %(count)d entries.",
            repeat.upper,
        ) % {"count": repeat.upper}
    if repeat.min_count and count <= repeat.min_count:
        return ngettext(
            "At least %(count)d entry is needed.",
            "At least %(count)d entries are needed.",
            repeat.min_count,
        ) % {"count": repeat.min_count}
    return ""


def can_add(page: FormPage, count: int) -> bool:
    repeat = page.repeat or RepeatSpec()
    return not repeat.is_locked and count < repeat.upper


def can_remove(page: FormPage, count: int) -> bool:
    repeat = page.repeat or RepeatSpec()
    return not repeat.is_locked and count > repeat.min_count


def free_text_fields(
    page: FormPage, keys: Sequence[str], data: Mapping[str, Sequence[str]]
) -> list[str]:
    """The posted fields of a roster that hold free text (for the privacy warning)."""
    wanted = set(keys)
    names = [q.name for q in page.questions if q.name in wanted]
    names += [q.other_name for q in page.questions if q.other_choice and q.other_name in wanted]
    return [
        key
        for key in data
        if key.startswith(page.name + SEPARATOR) and key.rsplit(SEPARATOR, 1)[-1] in names
    ]


def check_any_page(
    schema: FormSchema,
    page: FormPage,
    raw: Mapping[str, Sequence[str]],
    answers: Mapping[str, object],
    *,
    language: str,
    enforce_required: bool = True,
    edit: str = "",
) -> PageCheck:
    """check_page for an ordinary page, check_roster for a roster."""
    if page.repeat is None:
        return check_page(
            schema, page, raw, answers, language=language, enforce_required=enforce_required
        )
    return check_roster(
        schema,
        page,
        raw,
        answers,
        language=language,
        enforce_required=enforce_required,
        edit=edit,
    )


def entry_title(position: int) -> str:
    return _("Entry %(number)d") % {"number": position}
