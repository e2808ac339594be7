"""A published questionnaire version as the respondent form needs it: pages in order, each
with its questions and their choices, loaded in four queries and kept in memory.

A published version is frozen (surveys/models.py), so a loaded schema never goes stale;
the cache key still includes the publication time so a reused primary key (SQLite test
databases) cannot serve another version's schema.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from surveys.models import Choice, Page, Question, QuestionnaireVersion, QuestionType

# Enough for every wave a server fields at once; each schema is a few hundred kilobytes.
SCHEMA_CACHE_SIZE = 32


@dataclass(frozen=True)
class FormChoice:
    name: str
    labels: dict[str, str]


@dataclass(frozen=True)
class FormQuestion:
    name: str
    type: str
    labels: dict[str, str]
    hints: dict[str, str]
    required: bool
    required_message: dict[str, str]
    relevant: str
    constraint: str
    constraint_message: dict[str, str]
    appearance: str
    choice_list: str
    choices: tuple[FormChoice, ...]
    other_choice: str

    @property
    def is_asked(self) -> bool:
        """Notes are shown, never answered or stored."""
        return self.type != QuestionType.NOTE

    @property
    def other_name(self) -> str:
        """The answer key of the "other, specify" text (XLSForm's `<name>_other`)."""
        return f"{self.name}_other"


@dataclass(frozen=True)
class FormPage:
    name: str
    labels: dict[str, str]
    relevant: str
    questions: tuple[FormQuestion, ...]


@dataclass(frozen=True)
class FormSchema:
    version_id: int
    source_language: str
    languages: tuple[str, ...]
    title: dict[str, str]
    pages: tuple[FormPage, ...]
    # (name, type) of the XLSForm metadata rows: start, end, today, ...
    metadata_fields: tuple[tuple[str, str], ...]

    def page(self, name: str) -> FormPage | None:
        return next((page for page in self.pages if page.name == name), None)

    def page_index(self, name: str) -> int:
        return next(index for index, page in enumerate(self.pages) if page.name == name)


def load_form(version: QuestionnaireVersion) -> FormSchema:
    """The schema of a version; cached when the version is published (frozen)."""
    if version.is_frozen and version.published_at is not None:
        return _load_cached(version.pk, version.published_at)
    return _load(version.pk)


@lru_cache(maxsize=SCHEMA_CACHE_SIZE)
def _load_cached(version_id: int, _published_at: datetime) -> FormSchema:
    return _load(version_id)


def _load(version_id: int) -> FormSchema:
    version = QuestionnaireVersion.objects.get(pk=version_id)
    choices_by_list: dict[int, list[FormChoice]] = defaultdict(list)
    for choice in Choice.objects.filter(choice_list__version_id=version_id).order_by(
        "choice_list_id", "position"
    ):
        choices_by_list[choice.choice_list_id].append(
            FormChoice(name=choice.name, labels=dict(choice.labels))
        )
    questions_by_page: dict[int, list[FormQuestion]] = defaultdict(list)
    for question in (
        Question.objects.filter(version_id=version_id)
        .select_related("choice_list")
        .order_by("position")
    ):
        questions_by_page[question.page_id].append(_form_question(question, choices_by_list))
    pages = tuple(
        FormPage(
            name=page.name,
            labels=dict(page.labels),
            relevant=page.relevant,
            questions=tuple(questions_by_page[page.pk]),
        )
        for page in Page.objects.filter(version_id=version_id).order_by("position")
    )
    return FormSchema(
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


def _form_question(
    question: Question, choices_by_list: dict[int, list[FormChoice]]
) -> FormQuestion:
    choice_list = question.choice_list
    return FormQuestion(
        name=question.name,
        type=question.type,
        labels=dict(question.labels),
        hints=dict(question.hints),
        required=question.required,
        required_message=dict(question.required_message),
        relevant=question.relevant,
        constraint=question.constraint,
        constraint_message=dict(question.constraint_message),
        appearance=question.appearance,
        choice_list=choice_list.name if choice_list is not None else "",
        choices=tuple(choices_by_list.get(question.choice_list_id or 0, ())),
        other_choice=question.other_choice,
    )


def localise(texts: dict[str, str], language: str, fallback: str, default: str = "") -> str:
    """The text in `language`, else in the version's source language, else any, else default."""
    for key in (language, fallback):
        if texts.get(key):
            return texts[key]
    return next((text for text in texts.values() if text), default)
