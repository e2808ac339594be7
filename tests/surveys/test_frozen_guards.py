"""A published version cannot be changed by moving rows out of it or into it, by bulk
inserts, or by marking a draft published without publish_version.

These are ORM paths, so they run on SQLite and PostgreSQL alike (the model and queryset
guards answer before PostgreSQL's triggers would); the raw-SQL cases are PostgreSQL only.
"""

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Value

from surveys.formspec import FormSpec
from surveys.models import (
    FROZEN_VERSION_MESSAGE,
    NOT_PUBLISHING_MESSAGE,
    Choice,
    ChoiceList,
    FrozenVersionError,
    Page,
    PublishOutsideServiceError,
    Question,
    QuestionnaireVersion,
    VersionStatus,
)
from surveys.services.questionnaires import (
    fork_version,
    import_questionnaire,
    publish_version,
    version_to_form,
)
from tests.builders import make_study
from tests.conftest import postgres_only
from tests.surveys.forms import write_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(tmp_path):
    study = make_study("panel", ("en", "ru"))
    imported = import_questionnaire(write_form(tmp_path / "panel.xlsx"), study=study)
    published = publish_version(imported.version.pk)
    draft = fork_version(published.pk)
    return published, draft, version_to_form(published)


def _unchanged(published: QuestionnaireVersion, before: FormSpec) -> bool:
    return version_to_form(QuestionnaireVersion.objects.get(pk=published.pk)) == before


def _frozen(published: QuestionnaireVersion) -> str:
    return FROZEN_VERSION_MESSAGE.format(version_id=published.pk)


# -- (a) moving a part out of a published version -------------------------------------


def _move_out(kind: str, published: QuestionnaireVersion, draft: QuestionnaireVersion) -> Any:
    row: Any
    if kind == "question":
        row = published.questions.get(name="age")
        row.version = draft
    elif kind == "page":
        row = published.pages.get(name="about")
        row.version = draft
    elif kind == "choice_list":
        row = published.choice_lists.get(name="trust")
        row.version = draft
    else:
        row = Choice.objects.get(choice_list__version=published, name="tg")
        row.choice_list = draft.choice_lists.get(name="agree")
    return row


@pytest.mark.parametrize("kind", ["question", "page", "choice_list", "choice"])
def test_moving_a_part_out_of_a_published_version_is_refused(versions, kind):
    # given
    published, draft, before = versions
    row = _move_out(kind, published, draft)
    # when
    with pytest.raises(FrozenVersionError) as caught:
        row.save()
    # then
    assert str(caught.value) == _frozen(published)
    assert _unchanged(published, before)


@pytest.mark.parametrize("kind", ["question", "page", "choice_list", "choice"])
def test_deleting_a_part_pointed_at_a_draft_in_memory_is_refused(versions, kind):
    published, draft, before = versions
    row = _move_out(kind, published, draft)
    with pytest.raises(FrozenVersionError):
        row.delete()
    assert _unchanged(published, before)


@pytest.mark.parametrize(
    ("model", "rows", "target"),
    [
        (Question, "questions", "version"),
        (Page, "pages", "version"),
        (ChoiceList, "choice_lists", "version"),
    ],
)
def test_queryset_update_cannot_move_draft_rows_into_a_published_version(
    versions, model, rows, target
):
    published, draft, before = versions
    count = getattr(draft, rows).count()
    with pytest.raises(FrozenVersionError):
        model.objects.filter(version=draft).update(**{target: published})
    assert getattr(draft, rows).count() == count
    assert _unchanged(published, before)


def test_queryset_update_cannot_move_draft_choices_into_a_published_list(versions):
    published, draft, before = versions
    target = published.choice_lists.get(name="trust")
    with pytest.raises(FrozenVersionError):
        Choice.objects.filter(choice_list__version=draft, name="tg").update(choice_list=target)
    assert Choice.objects.filter(choice_list__version=draft, name="tg").count() == 1
    assert _unchanged(published, before)


def test_bulk_update_cannot_move_draft_rows_into_a_published_version(versions):
    published, draft, before = versions
    questions = list(draft.questions.all())
    for question in questions:
        question.version = published
    with pytest.raises(FrozenVersionError):
        Question.objects.bulk_update(questions, ["version"])
    assert draft.questions.count() == 5
    assert _unchanged(published, before)


def test_moving_rows_between_drafts_still_works(versions):
    _published, draft, _before = versions
    other = fork_version(draft.pk)
    page = draft.pages.get(name="about")
    Question.objects.filter(version=draft, name="comment").update(
        version=other, position=99, name="comment2"
    )
    page.name = "about-you"
    page.save()
    assert other.questions.filter(name="comment2").count() == 1
    assert draft.pages.filter(name="about-you").count() == 1


# -- (b) bulk_create into a published version ------------------------------------------


def _new_rows(kind: str, published: QuestionnaireVersion) -> tuple[Any, list[Any]]:
    if kind == "question":
        page = published.pages.get(name="about")
        return Question, [
            Question(version=published, page=page, name="new", position=99, type="text")
        ]
    if kind == "page":
        return Page, [Page(version=published, name="new", position=99)]
    if kind == "choice_list":
        return ChoiceList, [ChoiceList(version=published, name="new")]
    choice_list = published.choice_lists.get(name="trust")
    return Choice, [Choice(choice_list=choice_list, name="9", code=9, position=9)]


@pytest.mark.parametrize("kind", ["question", "page", "choice_list", "choice"])
def test_bulk_create_into_a_published_version_is_refused(versions, kind):
    published, _draft, before = versions
    model, rows = _new_rows(kind, published)
    count = model.objects.count()
    with pytest.raises(FrozenVersionError) as caught:
        model.objects.bulk_create(rows)
    assert str(caught.value) == _frozen(published)
    assert model.objects.count() == count
    assert _unchanged(published, before)


# -- (c) publishing can only be done by publish_version ----------------------------------


def test_queryset_update_cannot_fake_publishing(versions):
    _published, draft, _before = versions
    with pytest.raises(PublishOutsideServiceError) as caught:
        QuestionnaireVersion.objects.filter(pk=draft.pk).update(
            status=VersionStatus.PUBLISHED, content_hash="fake"
        )
    assert str(caught.value) == NOT_PUBLISHING_MESSAGE.format(version_id=draft.pk)
    draft.refresh_from_db()
    assert (draft.status, draft.content_hash) == ("draft", "")


def test_save_cannot_fake_publishing(versions):
    _published, draft, _before = versions
    draft.status = VersionStatus.PUBLISHED
    draft.content_hash = "fake"
    with pytest.raises(PublishOutsideServiceError):
        draft.save()
    assert QuestionnaireVersion.objects.get(pk=draft.pk).status == "draft"


def test_create_and_bulk_create_cannot_make_a_published_version(versions):
    published, _draft, _before = versions
    fields = {
        "questionnaire": published.questionnaire,
        "status": VersionStatus.PUBLISHED,
        "content_hash": "fake",
    }
    count = QuestionnaireVersion.objects.count()
    with pytest.raises(PublishOutsideServiceError):
        QuestionnaireVersion.objects.create(number=7, **fields)
    with pytest.raises(PublishOutsideServiceError):
        QuestionnaireVersion.objects.bulk_create([QuestionnaireVersion(number=8, **fields)])
    assert QuestionnaireVersion.objects.count() == count


def test_publish_version_still_publishes(versions):
    _published, draft, _before = versions
    published = publish_version(draft.pk)
    stored = QuestionnaireVersion.objects.get(pk=draft.pk)
    assert (stored.status, stored.content_hash) == ("published", published.content_hash)
    assert len(stored.content_hash) == 64


# -- raw SQL (PostgreSQL's triggers) -------------------------------------------------------


@postgres_only()
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE surveys_question SET version_id = %(draft)s WHERE version_id = %(published)s",
        "UPDATE surveys_page SET version_id = %(draft)s WHERE version_id = %(published)s",
        "UPDATE surveys_choice SET choice_list_id = "
        "(SELECT MIN(id) FROM surveys_choicelist WHERE version_id = %(draft)s) "
        "WHERE choice_list_id IN "
        "(SELECT id FROM surveys_choicelist WHERE version_id = %(published)s)",
        "INSERT INTO surveys_choicelist (version_id, name) VALUES (%(published)s, 'new')",
    ],
)
def test_raw_sql_cannot_move_parts_out_of_or_into_a_published_version(versions, statement):
    published, draft, before = versions
    with (
        pytest.raises(IntegrityError, match="is published and frozen"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, {"draft": draft.pk, "published": published.pk})
    assert _unchanged(published, before)


def test_an_update_moving_rows_by_expression_into_a_published_version_is_undone(versions):
    published, draft, before = versions
    # PostgreSQL's trigger refuses the row itself (IntegrityError); elsewhere the queryset
    # finds the moved row after the write and rolls it back (FrozenVersionError).
    with pytest.raises((FrozenVersionError, IntegrityError)):
        Question.objects.filter(version=draft, name="comment").update(
            version_id=Value(published.pk), name="fresh"
        )
    assert draft.questions.filter(name="comment").count() == 1
    assert _unchanged(published, before)
