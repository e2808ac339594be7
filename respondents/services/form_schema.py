"""A published questionnaire version as the respondent form needs it: pages in order, each
with its questions and their choices, loaded in four queries and kept in memory.

Expressions are kept here already resolved (surveys/references.py): every `${name}` and
ODK path is rewritten to `${export name}`, the key its answer is stored under, and each
item carries the `relevant` of the groups around it (`conditions`), so the respondent
code evaluates one flat namespace of answers.

A published version is frozen (surveys/models.py), so a loaded schema never goes stale;
the cache key still includes the publication time so a reused primary key (SQLite test
databases) cannot serve another version's schema.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from respondents.services.markup import pipes_answers
from surveys.calculations import CalculationCycleError, calculation_order
from surveys.expressions import ExpressionError, references
from surveys.formspec import (
    QUESTION_FIELDS,
    QuestionSpec,
    group_of,
    groups_from_stored,
    is_dynamic,
    roster_path,
)
from surveys.freetext_keys import free_text_keys_of
from surveys.models import Choice, Page, Question, QuestionnaireVersion, QuestionType
from surveys.references import Place, Places
from surveys.repeats import RepeatSpec, repeat_from_dict
from surveys.services.questionnaires import question_spec

logger = logging.getLogger(__name__)

# Enough for every wave a server fields at once; each schema is a few hundred kilobytes.
SCHEMA_CACHE_SIZE = 32


@dataclass(frozen=True)
class FormChoice:
    name: str
    labels: dict[str, str]
    # The choice's extra columns (a cascade's `region`, ...) for choice_filter.
    fields: dict[str, str]
    # The columns of further rows of the same name (allow_choice_duplicates): the choice
    # is offered when its filter holds for any of them.
    alternatives: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class FormQuestion(QuestionSpec):
    """A question as the respondent form asks it: every field QuestionSpec declares (so a
    field added there reaches the form), with its expressions resolved and its texts piped
    (see the module docstring), plus what the form needs beside them."""

    choices: tuple[FormChoice, ...] = ()
    # The resolved `relevant` of the page's groups that hold this item, outermost first:
    # all must hold for it to be shown.
    conditions: tuple[str, ...] = ()

    @property
    def is_asked(self) -> bool:
        """Notes are shown, never answered or stored; calculations are never shown."""
        return self.type not in (QuestionType.NOTE, QuestionType.CALCULATE)

    @property
    def is_shown(self) -> bool:
        return self.type != QuestionType.CALCULATE

    @property
    def other_name(self) -> str:
        """The answer key of the "other, specify" text (XLSForm's `<name>_other`)."""
        return f"{self.name}_other"


@dataclass(frozen=True)
class FormSection:
    path: str
    labels: dict[str, str]

    @property
    def depth(self) -> int:
        return self.path.count("/") + 1


@dataclass(frozen=True)
class FormPage:
    name: str
    labels: dict[str, str]
    relevant: str
    questions: tuple[FormQuestion, ...]
    sections: tuple[FormSection, ...] = ()
    # A roster page: its items are asked once per instance (respondents/services/rosters.py).
    repeat: RepeatSpec | None = None
    # A roster inside groups: their titles, outermost first, shown above its own.
    enclosing: tuple[dict[str, str], ...] = ()
    # Some text its questions show (a label, hint, choice or section title) pipes in an
    # answer: the questions then read differently for each respondent.
    pipes_answers: bool = False


@dataclass(frozen=True)
class FormSchema:
    version_id: int
    source_language: str
    languages: tuple[str, ...]
    title: dict[str, str]
    pages: tuple[FormPage, ...]
    # (name, type) of the XLSForm metadata rows: start, end, today, ...
    metadata_fields: tuple[tuple[str, str], ...]
    # The calculate items' names in the order they are computed (surveys/calculations.py).
    calculation_order: tuple[str, ...] = ()
    # The answer keys holding free text (surveys/freetext_keys.py), which a posted page
    # checks for names and contacts: cached here, so a POST does not query for them.
    free_text_keys: tuple[str, ...] = ()

    def page(self, name: str) -> FormPage | None:
        return next((page for page in self.pages if page.name == name), None)

    def page_index(self, name: str) -> int:
        return next(index for index, page in enumerate(self.pages) if page.name == name)

    def question(self, key: str) -> FormQuestion | None:
        return next((q for page in self.pages for q in page.questions if q.name == key), None)

    def calculations(self) -> list[tuple[FormPage, FormQuestion]]:
        """The calculate items outside rosters with their pages, each after the
        calculations it reads (a roster's are computed per instance, in the instance's own
        namespace: respondents/services/rosters.py)."""
        found = {
            q.name: (page, q)
            for page in self.pages
            if page.repeat is None
            for q in page.questions
            if q.type == QuestionType.CALCULATE
        }
        ordered = [found[name] for name in self.calculation_order if name in found]
        return ordered + [
            item for name, item in found.items() if name not in self.calculation_order
        ]


def load_form(version: QuestionnaireVersion) -> FormSchema:
    """The schema of a version; cached when the version is published (frozen)."""
    if version.is_frozen and version.published_at is not None:
        return _load_cached(version.pk, version.published_at)
    return _load(version.pk)


@lru_cache(maxsize=SCHEMA_CACHE_SIZE)
def _load_cached(version_id: int, _published_at: datetime) -> FormSchema:
    return _load(version_id)


def _with_pipes(page: FormPage) -> FormPage:
    texts = [section.labels for section in page.sections]
    for question in page.questions:
        texts += [question.labels, question.hints, *(choice.labels for choice in question.choices)]
    piped = any(pipes_answers(text) for labels in texts for text in labels.values())
    return replace(page, pipes_answers=piped)


def _load(version_id: int) -> FormSchema:
    version = QuestionnaireVersion.objects.get(pk=version_id)
    choices_by_list: dict[int, list[FormChoice]] = defaultdict(list)
    names = dict(dict(version.settings or {}).get("language_names", {}))
    for choice in Choice.objects.filter(choice_list__version_id=version_id).order_by(
        "choice_list_id", "position"
    ):
        fields = _label_fields(dict(choice.labels), names, version.source_language)
        fields |= {str(k): str(v) for k, v in dict(choice.extra).items()}
        choices_by_list[choice.choice_list_id].append(
            FormChoice(
                name=choice.name,
                labels=dict(choice.labels),
                fields={**fields, "name": choice.name},
                alternatives=tuple(
                    {**{str(k): str(v) for k, v in dict(variant).items()}, "name": choice.name}
                    for variant in choice.variants or ()
                ),
            )
        )
    page_rows = list(Page.objects.filter(version_id=version_id).order_by("position"))
    question_rows = list(
        Question.objects.filter(version_id=version_id)
        .select_related("choice_list")
        .order_by("position")
    )
    page_groups = {page.pk: _page_groups(page, question_rows) for page in page_rows}
    places = Places(
        [
            Place(q.name, q.written_name or q.name, _groups(page_groups[q.page_id], q.section))
            for q in question_rows
        ]
        + [
            Place(str(m.get("name", "")), str(m.get("name", "")), ())
            for m in version.metadata_fields
            if isinstance(m, dict)
        ]
        # A roster's own name: count(${members}) counts its instances.
        + [
            Place(page.name, page.name, roster_path(groups_from_stored(page.group)))
            for page in page_rows
            if page.repeat is not None
        ]
    )
    sections_by_page = {page.pk: list(page.sections or []) for page in page_rows}
    questions_by_page: dict[int, list[FormQuestion]] = defaultdict(list)
    for question in question_rows:
        groups = page_groups[question.page_id]
        conditions = _conditions(
            sections_by_page[question.page_id], question.section, groups, places
        )
        questions_by_page[question.page_id].append(
            _form_question(question, choices_by_list, places, groups, conditions)
        )
    pages = tuple(
        _with_pipes(
            FormPage(
                name=page.name,
                labels=_piped(places, dict(page.labels), ()),
                relevant=_resolved(places, page.relevant, _context(page, page_groups), page.name),
                questions=tuple(questions_by_page[page.pk]),
                sections=tuple(
                    FormSection(
                        path=str(s.get("path", "")),
                        labels=_piped(places, dict(s.get("labels", {})), page_groups[page.pk]),
                    )
                    for s in sections_by_page[page.pk]
                ),
                repeat=_repeat(places, page, _context(page, page_groups)),
                enclosing=tuple(
                    _piped(places, group.labels, ()) for group in groups_from_stored(page.group)
                ),
            )
        )
        for page in page_rows
    )
    return FormSchema(
        calculation_order=_calculation_order(pages),
        free_text_keys=tuple(free_text_keys_of(question_rows)),
        version_id=version_id,
        source_language=version.source_language,
        languages=tuple(version.languages),
        title=dict(version.title),
        pages=pages,
        metadata_fields=tuple(
            (str(field.get("name", "")), str(field.get("type", "")))
            for field in version.metadata_fields
            if isinstance(field, dict)
        ),
    )


def _label_fields(
    labels: dict[str, str], language_names: dict[str, str], source_language: str
) -> dict[str, str]:
    """A choice's labels as the columns a choice_filter may test: `label` (the source
    language's), `label::en` and `label::English` (the language as the form named it)."""
    fields = {"label": labels.get(source_language, "")}
    for code, text in labels.items():
        fields[f"label::{code}"] = text
        if language_names.get(code):
            fields[f"label::{language_names[code]}"] = text
    return fields


def _calculation_order(pages: tuple[FormPage, ...]) -> tuple[str, ...]:
    """Calculations after those they read. A version imported before circles were refused
    may hold one: it is logged and computed in form order."""
    reads: dict[str, set[str]] = {}
    for page in pages:
        for q in page.questions:
            if q.type != QuestionType.CALCULATE:
                continue
            expressions = (q.calculation, q.relevant, page.relevant, *q.conditions)
            try:
                reads[q.name] = set().union(*(references(e) for e in expressions))
            except ExpressionError:
                reads[q.name] = set()
    try:
        return tuple(calculation_order(reads))
    except CalculationCycleError as exc:
        logger.warning("calculations of version cannot be ordered: %s", exc)
        return tuple(reads)


def _context(page: Page, page_groups: dict[int, tuple[str, ...]]) -> tuple[str, ...]:
    """Where a page's `relevant` and a roster's count are read from (as
    formspec.page_context): a roster's place, the top for other pages."""
    return page_groups[page.pk] if page.repeat is not None else ()


def _repeat(places: Places, page: Page, here: tuple[str, ...]) -> RepeatSpec | None:
    """A roster's count rule, its repeat_count resolved like any expression."""
    repeat = repeat_from_dict(page.repeat)
    if repeat is None or not repeat.is_fixed:
        return repeat
    return replace(repeat, count=_resolved(places, repeat.count, here, page.name))


def _page_groups(page: Page, questions: list[Question]) -> tuple[str, ...]:
    """The page's own group path (the group a part of a split group belongs to; a
    roster's name after the groups it sits in), or none for a question outside any group
    (a page named after its one question, with no label: see surveys/formspec.py)."""
    mine = [q for q in questions if q.page_id == page.pk]
    implicit = (
        len(mine) == 1
        and mine[0].name == page.name
        and not page.labels
        and not page.relevant
        and not page.appearance
        and not page.sections
        and page.repeat is None
    )
    if implicit:
        return ()
    return (*roster_path(groups_from_stored(page.group)), group_of(page.name))


def _groups(page_groups: tuple[str, ...], section: str) -> tuple[str, ...]:
    return (*page_groups, *section.split("/")) if section else page_groups


def _resolved(places: Places, expression: str, here: tuple[str, ...], item: str) -> str:
    """The expression with references resolved; one that cannot be is logged and kept
    (evaluating it fails, and answers.py treats that as it treats any broken expression)."""
    try:
        return places.resolve(expression, here)
    except ExpressionError:
        logger.warning("references of %s cannot be resolved", item)
        return expression


_PIPED = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}")


def _piped(places: Places, texts: dict[str, str], here: tuple[str, ...]) -> dict[str, str]:
    """Texts whose `${name}` (label piping) name the export name of the item meant."""

    def key(match: re.Match[str]) -> str:
        try:
            return "${" + places.key(match[1], here) + "}"
        except ExpressionError:
            return match[0]

    return {language: _PIPED.sub(key, text) for language, text in texts.items()}


def _conditions(
    sections: list[dict[str, object]], path: str, page_groups: tuple[str, ...], places: Places
) -> tuple[str, ...]:
    if not path:
        return ()
    parts = path.split("/")
    found = []
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        section = next((s for s in sections if s.get("path") == prefix), None)
        relevant = str(section.get("relevant", "")) if section else ""
        if relevant:
            here = (*page_groups, *parts[: depth - 1])
            found.append(_resolved(places, relevant, here, prefix))
    return tuple(found)


def _form_question(
    question: Question,
    choices_by_list: dict[int, list[FormChoice]],
    places: Places,
    page_groups: tuple[str, ...],
    conditions: tuple[str, ...],
) -> FormQuestion:
    here = _groups(page_groups, question.section)

    def resolve(expression: str) -> str:
        return _resolved(places, expression, here, question.name)

    spec = question_spec(question)
    # Every field as stored, then those the form reads resolved or piped in their place.
    shared = {name: getattr(spec, name) for name in QUESTION_FIELDS}
    resolved = {
        "labels": _piped(places, spec.labels, here),
        "hints": _piped(places, spec.hints, here),
        "relevant": resolve(spec.relevant),
        "constraint": resolve(spec.constraint),
        "calculation": resolve(spec.calculation),
        "default": resolve(spec.default) if is_dynamic(spec.default) else spec.default,
        "choice_filter": resolve(spec.choice_filter),
    }
    return FormQuestion(
        **(shared | resolved),
        choices=tuple(choices_by_list.get(question.choice_list_id or 0, ())),
        conditions=conditions,
    )


def localise(texts: dict[str, str], language: str, fallback: str, default: str = "") -> str:
    """The text in `language`, else in the version's source language, else any, else default."""
    for key in (language, fallback):
        if texts.get(key):
            return texts[key]
    return next((text for text in texts.values() if text), default)
