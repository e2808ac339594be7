"""Build studies and questionnaire versions straight into the database for tests.

Tests of fieldwork, cleaning and exports need a version without going through the XLSForm
importer; these helpers write the same rows the importer writes. A spec is a list of pages:

    build_version(study, [
        {"name": "about", "questions": [
            {"name": "age", "type": "integer", "labels": {"en": "Age", "ru": "Возраст"}},
            {"name": "trust", "type": "select_one", "choices": "yesno"},
        ]},
    ], choices={"yesno": [("1", {"en": "Yes"}), ("2", {"en": "No"})]})
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from surveys.models import (
    Choice,
    ChoiceList,
    Page,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Study,
)
from surveys.services.questionnaires import publish_version

QUESTION_FIELDS = (
    "labels",
    "hints",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "other_choice",
    "privacy",
    "harmonise",
    "attention_expected",
    "extra",
)


def make_study(slug: str = "panel", languages: tuple[str, ...] = ("ru", "en")) -> Study:
    return Study.objects.create(
        slug=slug,
        title=f"Study {slug}",
        languages=list(languages),
        default_language=languages[0],
        consent_text={lang: f"Consent ({lang})" for lang in languages},
    )


def make_user(username: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username, **extra
    )


def build_version(
    study: Study,
    pages: list[dict[str, Any]],
    *,
    choices: dict[str, list[tuple[str, dict[str, str]]]] | None = None,
    questionnaire_name: str = "main",
    publish: bool = True,
    languages: list[str] | None = None,
) -> QuestionnaireVersion:
    questionnaire, _ = Questionnaire.objects.get_or_create(
        study=study, name=questionnaire_name, defaults={"title": questionnaire_name}
    )
    number = questionnaire.versions.count() + 1
    version = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire,
        number=number,
        languages=languages or list(study.languages),
        source_language=(languages or study.languages)[0],
        title=dict.fromkeys(languages or study.languages, questionnaire_name),
    )
    lists = {}
    for list_name, options in (choices or {}).items():
        choice_list = ChoiceList.objects.create(version=version, name=list_name)
        numeric = all(name.lstrip("-").isdigit() for name, _ in options)
        for position, (name, labels) in enumerate(options, start=1):
            Choice.objects.create(
                choice_list=choice_list,
                name=name,
                code=int(name) if numeric else position,
                position=position,
                labels=labels,
            )
        lists[list_name] = choice_list
    position = 0
    for page_position, page_spec in enumerate(pages, start=1):
        page = Page.objects.create(
            version=version,
            name=page_spec["name"],
            position=page_position,
            labels=page_spec.get("labels", {}),
            relevant=page_spec.get("relevant", ""),
            appearance=page_spec.get("appearance", "field-list"),
        )
        for spec in page_spec["questions"]:
            position += 1
            Question.objects.create(
                version=version,
                page=page,
                name=spec["name"],
                position=position,
                type=spec["type"],
                choice_list=lists.get(spec["choices"]) if spec.get("choices") else None,
                **{field: spec[field] for field in QUESTION_FIELDS if field in spec},
            )
    if publish:
        # Only the service may publish (surveys/models.py refuses a faked status and hash).
        version = publish_version(version.pk)
    return version
