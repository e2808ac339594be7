"""What the respondent templates show: the consent and join-panel forms, and one
questionnaire page turned into plain values for the template (labels in the respondent's
language, the values to fill in again, errors next to their item, batteries as grids).

The rules (types, required, constraint, relevant) are not here but in
respondents/services/answers.py, so a shell or an import applies exactly the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from respondents.services.answers import (
    choice_context,
    is_shown,
    offered_choices,
    with_calculations,
)
from respondents.services.contacts import normalise_telegram
from respondents.services.form_schema import FormPage, FormQuestion, FormSchema, localise
from respondents.services.markup import display_values, pipe, render
from surveys.models import QuestionType
from surveys.xlsform import PHONE_CONSTRAINT

# Control fields of a page form; the leading underscore keeps them apart from item names.
PAGE_FIELD = "_pw_page"
STEP_FIELD = "_pw_step"
SHOWN_FIELD = "_pw_shown"
ACTION_FIELD = "_pw_action"
# The honeypot has a plausible name (docs/methods.md section 4) so form-filling bots fill it;
# people never see it (hidden by the stylesheet, skipped by keyboard and screen readers).
HONEYPOT_FIELD = "website"
# The signed resume token the consent form was rendered with (respondents/tokens.py).
RESUME_OFFER_FIELD = "_pw_start"


class ConsentForm(forms.Form):
    website = forms.CharField(required=False, max_length=500)
    _pw_start = forms.CharField(required=False, max_length=200)

    @property
    def honeypot_filled(self) -> bool:
        # Read raw, not from cleaned_data: a value past max_length makes the form invalid,
        # and a bot must not slip past the honeypot by filling it with a long string.
        return bool(str(self.data.get(HONEYPOT_FIELD, "")).strip())

    @property
    def resume_offer(self) -> str:
        return str(self.cleaned_data[RESUME_OFFER_FIELD]) if self.is_valid() else ""


class JoinPanelForm(forms.Form):
    """An open-link respondent's offer to be invited to later waves."""

    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter a valid e-mail address, like name@example.org.")},
    )
    telegram = forms.CharField(label=_("Telegram username"), required=False, max_length=64)
    website = forms.CharField(required=False, max_length=500)

    def clean_telegram(self) -> str:
        raw = str(self.cleaned_data["telegram"]).strip()
        if not raw:
            return ""
        try:
            return normalise_telegram(raw)
        except ValidationError:
            raise forms.ValidationError(
                _("A Telegram username has 5-32 letters, digits or underscores, like @name_1.")
            ) from None

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        has_email = bool(cleaned.get("email"))
        has_telegram = bool(cleaned.get("telegram"))
        if not has_email and not has_telegram and not self.errors:
            raise forms.ValidationError(_("Give an e-mail address, a Telegram username, or both."))
        return cleaned


class TookPartBeforeForm(forms.Form):
    """A returner's "I took part before": the e-mail they gave in an earlier wave."""

    earlier_email = forms.EmailField(
        label=_("The e-mail address you gave us before"),
        max_length=254,
        error_messages={
            "invalid": _("Enter a valid e-mail address, like name@example.org."),
            "required": _("Enter the e-mail address you gave us before."),
        },
    )
    website = forms.CharField(required=False, max_length=500)


@dataclass(frozen=True)
class ChoiceView:
    name: str
    label: SafeString
    selected: bool
    input_id: str


@dataclass(frozen=True)
class QuestionView:
    name: str
    type: str
    label: SafeString
    hint: SafeString
    error: str
    required: bool
    input_id: str
    value: str
    choices: tuple[ChoiceView, ...] = ()
    other_name: str = ""
    other_value: str = ""
    other_choice: str = ""
    multiline: bool = False
    is_phone: bool = False

    @property
    def input_type(self) -> str:
        # Numbers are typed into text inputs: a number input sends "" for "12a", and the
        # respondent would be told the answer is missing instead of what is wrong with it.
        if self.type == QuestionType.DATE:
            return "date"
        return "time" if self.type == QuestionType.TIME else "text"

    @property
    def input_mode(self) -> str:
        if self.is_phone:
            return "tel"
        if self.type == QuestionType.INTEGER:
            return "numeric"
        if self.type == QuestionType.DECIMAL:
            return "decimal"
        return "text"


@dataclass(frozen=True)
class Block:
    """One question, or a battery: consecutive select_one items sharing a choice list."""

    questions: tuple[QuestionView, ...]
    battery_choices: tuple[SafeString, ...] = ()
    # Titles of the groups (sections) entered just before this block: (title, level).
    headings: tuple[tuple[SafeString, int], ...] = ()
    # A battery's question stem: the note written just before its items.
    stem: SafeString | None = None
    # Nothing in it is this respondent's (no typed text, no message, no piped answer), so
    # its HTML is rendered once per language and reused (respondents/block_html.py).
    is_reusable: bool = False

    @property
    def is_battery(self) -> bool:
        return bool(self.battery_choices)


@dataclass(frozen=True)
class PageView:
    name: str
    title: SafeString
    blocks: tuple[Block, ...]
    shown: tuple[str, ...]
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Texts:
    """How this page's texts are made: the language, and the answers piped into them."""

    language: str
    fallback: str
    answers: Mapping[str, object]
    schema: FormSchema

    def render(self, texts: dict[str, str], default: str = "") -> SafeString:
        label = choice_context(self.schema, self.language).choice_label
        assert label is not None  # noqa: S101 (choice_context always sets it)
        text = localise(texts, self.language, self.fallback, default)
        return render(text, display_values(self.answers, label))


def piped_label(
    schema: FormSchema,
    texts: Mapping[str, str],
    answers: Mapping[str, object],
    *,
    language: str,
    default: str = "",
) -> SafeString:
    """A label outside a page's own items (a privacy warning naming the item) as the page
    shows it: piped with `answers` and the form's calculations, escaped, markup applied."""
    merged = with_calculations(schema, dict(answers), language=language)
    return _Texts(language, schema.source_language, merged, schema).render(dict(texts), default)


def piped_plain(
    schema: FormSchema, text: str, answers: Mapping[str, object], *, language: str
) -> str:
    """A plain text (the study's consent text) with each `${x}` as a page would show x:
    the answer, or what the form's calculations give before any answer, "" when unknown.
    Still plain: the template escapes it, answer and all."""
    label = choice_context(schema, language).choice_label
    assert label is not None  # noqa: S101 (choice_context always sets it)
    merged = with_calculations(schema, dict(answers), language=language)
    return pipe(text, display_values(merged, label))


def _question_view(
    question: FormQuestion,
    raw: Mapping[str, Sequence[str]],
    error: str,
    texts: _Texts,
) -> QuestionView:
    values = [str(value) for value in raw.get(question.name, ())]
    return QuestionView(
        name=question.name,
        type=question.type,
        label=texts.render(question.labels, question.name),
        hint=texts.render(question.hints),
        error=error,
        required=question.required,
        input_id=f"q-{question.name}",
        value=values[0] if values and question.type != QuestionType.SELECT_MULTIPLE else "",
        choices=tuple(
            ChoiceView(
                name=choice.name,
                label=texts.render(choice.labels, choice.name),
                selected=choice.name in values,
                input_id=f"q-{question.name}-{index}",
            )
            for index, choice in enumerate(offered_choices(question, texts.answers))
        ),
        other_name=question.other_name if question.other_choice else "",
        other_value=next(iter(raw.get(question.other_name, ())), ""),
        other_choice=question.other_choice,
        multiline="multiline" in question.appearance,
        is_phone=question.constraint == PHONE_CONSTRAINT,
    )


def _is_battery_item(question: FormQuestion) -> bool:
    return question.type == QuestionType.SELECT_ONE and not question.other_choice


def _blocks(
    page: FormPage, questions: list[FormQuestion], views: dict[str, QuestionView], texts: _Texts
) -> tuple[Block, ...]:
    blocks: list[Block] = []
    index = 0
    open_path: list[str] = []
    while index < len(questions):
        end = index + 1
        if _is_battery_item(questions[index]):
            while (
                end < len(questions)
                and _is_battery_item(questions[end])
                and questions[end].choice_list == questions[index].choice_list
                and questions[end].section == questions[index].section
                and not questions[end].choice_filter
            ):
                end += 1
        run = questions[index:end]
        headings, open_path = _headings(page, run[0].section, open_path, texts)
        if len(run) > 1:
            header = tuple(texts.render(c.labels, c.name) for c in run[0].choices)
            stem = None
            previous = questions[index - 1] if index else None
            if (
                not headings
                and previous is not None
                and previous.type == QuestionType.NOTE
                and previous.section == run[0].section
            ):
                # The note just before a battery is its stem, shown as the grid's caption.
                note = blocks.pop()
                stem, headings = note.questions[0].label, note.headings
            shown = tuple(views[q.name] for q in run)
            blocks.append(
                Block(
                    questions=shown,
                    battery_choices=header,
                    headings=headings,
                    stem=stem,
                    is_reusable=_is_reusable(page, shown),
                )
            )
        else:
            shown = (views[run[0].name],)
            blocks.append(
                Block(questions=shown, headings=headings, is_reusable=_is_reusable(page, shown))
            )
        index = end
    return tuple(blocks)


def _is_reusable(page: FormPage, questions: tuple[QuestionView, ...]) -> bool:
    """Whether the block shows nothing of this respondent's. A chosen choice may show (a
    choice name, not the respondent's words); typed text and its messages may not, so no
    respondent's words outlive their request in the rendered-HTML cache."""
    if page.pipes_answers:
        return False
    return not any(q.value or q.other_value or q.error for q in questions)


def _headings(
    page: FormPage, section: str, open_path: list[str], texts: _Texts
) -> tuple[tuple[tuple[SafeString, int], ...], list[str]]:
    """The titles of the sections entered between the previous block and this one."""
    target = section.split("/") if section else []
    shared = 0
    while shared < min(len(open_path), len(target)) and open_path[shared] == target[shared]:
        shared += 1
    headings = []
    for depth in range(shared + 1, len(target) + 1):
        path = "/".join(target[:depth])
        found = next((s for s in page.sections if s.path == path), None)
        if found is not None and found.labels:
            headings.append((texts.render(found.labels), min(depth + 1, 6)))
    return tuple(headings), target


def build_page_view(
    schema: FormSchema,
    page: FormPage,
    *,
    raw: Mapping[str, Sequence[str]],
    answers: Mapping[str, object],
    errors: Mapping[str, str],
    language: str,
) -> PageView:
    """The page as the template shows it: items relevant given the answers so far and the
    values on this form (so a same-page `relevant` appears after a submit, without script)."""
    merged = dict(answers)
    merged.update(
        {
            name: list(values) if len(values) > 1 else values[0]
            for name, values in raw.items()
            if values
        }
    )
    merged = with_calculations(schema, merged, language=language)
    texts = _Texts(language, schema.source_language, merged, schema)
    visible = [q for q in page.questions if q.is_shown and is_shown(q, merged)]
    views = {q.name: _question_view(q, raw, errors.get(q.name, ""), texts) for q in visible}
    return PageView(
        name=page.name,
        title=texts.render(page.labels),
        blocks=_blocks(page, visible, views, texts),
        shown=tuple(q.name for q in visible),
        errors=errors,
    )
