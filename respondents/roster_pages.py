"""What the template shows for a roster page (an XLSForm repeat): each instance drawn
like an ordinary page (respondents/forms.py) in its own namespace, its fields renamed to
carry the instance (`members:2:age`), with "remove" per instance and "add another".

The rules are in respondents/services/rosters.py; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.utils.safestring import SafeString

from respondents.forms import Block, PageView, QuestionView, build_page_view
from respondents.services.answers import answers_as_raw
from respondents.services.form_schema import FormPage, FormSchema, localise
from respondents.services.markup import display_values, render
from respondents.services.rosters import (
    ADD,
    REMOVE,
    ROSTER_ACTION,
    bounds_note,
    can_add,
    can_remove,
    entry_title,
    field_name,
    instance_count,
    instance_schema,
    raw_of_instance,
    scope,
    stored_instances,
)
from surveys.repeats import RepeatSpec


@dataclass(frozen=True)
class InstanceView:
    position: int
    title: str
    blocks: tuple[Block, ...]
    remove_action: str


@dataclass(frozen=True)
class RosterPageView:
    name: str
    title: SafeString
    instances: tuple[InstanceView, ...]
    shown: tuple[str, ...]
    errors: Mapping[str, str] = field(default_factory=dict)
    # The roster's own message (too few entries), and what it may hold.
    count_error: str = ""
    note: str = ""
    add_action: str = ""
    is_roster: bool = True
    blocks: tuple[Block, ...] = ()
    # The titles of the groups the roster sits in, outermost first.
    enclosing: tuple[SafeString, ...] = ()


def stored_as_raw(page: FormPage, answers: Mapping[str, object]) -> dict[str, list[str]]:
    """The stored answers of a page as the fields its form posts (to fill it again)."""
    if page.repeat is None:
        return answers_as_raw(page, answers)
    items = replace(page, repeat=None)
    stored = stored_instances(page, answers)
    raw: dict[str, list[str]] = {}
    for position in range(1, instance_count(page, answers) + 1):
        instance = stored[position - 1] if position <= len(stored) else {}
        own = answers_as_raw(items, scope(answers, instance, position))
        raw.update({field_name(page.name, position, k): v for k, v in own.items()})
    return raw


def build_roster_view(
    schema: FormSchema,
    page: FormPage,
    *,
    raw: Mapping[str, Sequence[str]],
    answers: Mapping[str, object],
    errors: Mapping[str, str],
    language: str,
) -> RosterPageView:
    one = instance_schema(schema, page)
    items = one.pages[0]
    stored = stored_instances(page, answers)
    outside = {k: v for k, v in answers.items() if k != page.name}
    count = instance_count(page, answers)
    removable = can_remove(page, count)
    views = []
    shown: list[str] = [page.name]
    for position in range(1, count + 1):
        instance = stored[position - 1] if position <= len(stored) else {}
        prefix = field_name(page.name, position, "")
        own_errors = {
            key.removeprefix(prefix): error
            for key, error in errors.items()
            if key.startswith(prefix)
        }
        view: PageView = build_page_view(
            one,
            items,
            raw=raw_of_instance(page, raw, position),
            answers=scope(outside, instance, position),
            errors=own_errors,
            language=language,
        )
        shown += [prefix + name for name in view.shown]
        views.append(
            InstanceView(
                position=position,
                title=entry_title(position),
                blocks=tuple(_renamed(block, prefix) for block in view.blocks),
                remove_action=f"{ROSTER_ACTION}{REMOVE}{position}" if removable else "",
            )
        )
    values = display_values(outside, _no_label)
    titles = [localise(labels, language, schema.source_language) for labels in page.enclosing]
    title = localise(page.labels, language, schema.source_language)
    return RosterPageView(
        name=page.name,
        title=render(title, values),
        enclosing=tuple(render(text, values) for text in titles if text),
        instances=tuple(views),
        shown=tuple(shown),
        errors=errors,
        count_error=errors.get(page.name, ""),
        note=bounds_note(page.repeat or RepeatSpec(), count),
        add_action=f"{ROSTER_ACTION}{ADD}" if can_add(page, count) else "",
    )


def _renamed(block: Block, prefix: str) -> Block:
    return replace(block, questions=tuple(_question(q, prefix) for q in block.questions))


def _question(question: QuestionView, prefix: str) -> QuestionView:
    """The item's field names and element ids with the instance in them."""
    ids = "q-" + prefix.replace(":", "-")
    return replace(
        question,
        name=prefix + question.name,
        input_id=question.input_id.replace("q-", ids, 1),
        other_name=prefix + question.other_name if question.other_name else "",
        choices=tuple(
            replace(choice, input_id=choice.input_id.replace("q-", ids, 1))
            for choice in question.choices
        ),
    )


def _no_label(_item: str, value: str) -> str:
    return value
