"""A questionnaire version laid out page by page as a respondent sees it, for the preview.

The pages are built by the respondent form's own code (respondents.forms.build_page_view),
so the preview cannot drift from the form; items that `relevant` hides before any answer
are listed under their page with the condition that shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from respondents.forms import PageView, build_page_view
from respondents.services.form_schema import load_form, localise
from surveys.models import QuestionnaireVersion


@dataclass(frozen=True)
class ConditionalItem:
    name: str
    label: str
    relevant: str


@dataclass(frozen=True)
class PreviewPage:
    view: PageView
    relevant: str
    conditional: tuple[ConditionalItem, ...]


def preview_pages(version: QuestionnaireVersion, language: str) -> list[PreviewPage]:
    schema = load_form(version)
    pages = []
    for page in schema.pages:
        view = build_page_view(schema, page, raw={}, answers={}, errors={}, language=language)
        hidden = tuple(
            ConditionalItem(
                question.name,
                localise(question.labels, language, schema.source_language, question.name),
                question.relevant,
            )
            for question in page.questions
            if question.name not in view.shown
        )
        pages.append(PreviewPage(view=view, relevant=page.relevant, conditional=hidden))
    return pages
