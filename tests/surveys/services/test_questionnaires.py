"""Questionnaire services on the database: import, publish, fork, export, diff, item bank."""

import dataclasses

import pytest
from django.db import IntegrityError, connection, transaction

from surveys.diff import ERROR_TYPE_CHANGED, ItemTypeChangedError
from surveys.formspec import (
    ChoiceListSpec,
    ChoiceSpec,
    FormError,
    FormSpec,
    PageSpec,
    QuestionSpec,
)
from surveys.models import (
    FROZEN_VERSION_MESSAGE,
    Choice,
    ChoiceList,
    FrozenVersionError,
    Page,
    Question,
    QuestionnaireVersion,
    VersionStatus,
)
from surveys.services.itembank import load_item_bank
from surveys.services.questionnaires import (
    create_version,
    diff_versions,
    export_questionnaire,
    fork_version,
    import_questionnaire,
    publish_version,
    start_questionnaire_from_concepts,
    version_to_form,
)
from tests.builders import make_study
from tests.conftest import postgres_only
from tests.surveys.forms import SURVEY, write_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def study():
    return make_study("panel", ("en", "ru"))


@pytest.fixture
def published(study, tmp_path):
    result = import_questionnaire(write_form(tmp_path / "panel.xlsx"), study=study)
    return publish_version(result.version.pk)


def test_import_writes_a_draft_with_pages_questions_and_choices(study, tmp_path):
    result = import_questionnaire(write_form(tmp_path / "panel.xlsx"), study=study)
    version = result.version
    assert (result.items, result.languages, result.skipped) == (5, ["en", "ru"], [])
    assert (version.questionnaire.name, version.number, version.status) == ("panel", 1, "draft")
    assert version.metadata_fields == [{"name": "start", "type": "start"}]
    assert list(version.pages.values_list("name", flat=True)) == [
        "about",
        "media",
        "check",
        "comment",
    ]
    age = version.questions.get(name="age")
    assert (age.page.name, age.privacy, age.required, age.constraint) == (
        "about",
        "quasi",
        True,
        ". >= 18 and . <= 110",
    )
    check = version.questions.get(name="check")
    assert (check.other_choice, check.attention_expected) == ("other", "agree")
    assert list(
        Choice.objects.filter(choice_list=check.choice_list).values_list("name", "code")
    ) == [
        ("agree", 1),
        ("disagree", 2),
        ("other", 3),
    ]


def test_a_refused_form_leaves_nothing_behind(study, tmp_path):
    path = write_form(tmp_path / "where.xlsx", survey=[*SURVEY, ["geopoint", "where", "Where?"]])
    with pytest.raises(FormError):
        import_questionnaire(path, study=study)
    assert QuestionnaireVersion.objects.count() == 0


def test_second_import_is_the_next_version(study, tmp_path):
    path = write_form(tmp_path / "panel.xlsx")
    import_questionnaire(path, study=study)
    assert import_questionnaire(path, study=study).version.number == 2


def test_publish_sets_hash_and_refuses_a_frozen_version(published):
    assert published.status == VersionStatus.PUBLISHED
    assert len(published.content_hash) == 64
    with pytest.raises(FrozenVersionError) as caught:
        publish_version(published.pk)
    assert str(caught.value) == FROZEN_VERSION_MESSAGE.format(version_id=published.pk)


@pytest.mark.parametrize("export_format", ["xlsform", "json"])
def test_export_then_import_gives_an_equal_version(published, study, tmp_path, export_format):
    out = export_questionnaire(published.pk, format=export_format, out=tmp_path / "out")
    again = import_questionnaire(
        out.rename(tmp_path / f"out.{'json' if export_format == 'json' else 'xlsx'}"),
        study=study,
        questionnaire_name="copy",
    )
    assert version_to_form(again.version) == version_to_form(published)
    assert diff_versions(published.pk, again.version.pk).is_empty


def test_fork_makes_an_equal_draft(published):
    draft = fork_version(published.pk)
    assert (draft.number, draft.status, draft.forked_from_id) == (2, "draft", published.pk)
    assert version_to_form(draft) == version_to_form(published)


def test_diff_versions_lists_a_changed_wording(published):
    draft = fork_version(published.pk)
    Question.objects.filter(version=draft, name="age").update(
        labels={"en": "How old?", "ru": "Возраст"}
    )
    diff = diff_versions(published.pk, draft.pk)
    assert [(c.name, [f.field for f in c.changes], c.stale_translations) for c in diff.changed] == [
        ("age", ["labels.en"], ("labels.ru",))
    ]


def test_start_from_item_bank_concepts(study):
    load_item_bank()
    version = start_questionnaire_from_concepts(
        study, ["trust_people", "trust_family"], questionnaire_name="core"
    )
    items = list(version.questions.values_list("name", "type", "harmonise"))
    assert items == [
        ("trust_people", "select_one", "trust_people"),
        ("trust_family", "select_one", "trust_family"),
    ]
    family = version.questions.get(name="trust_family")
    assert list(
        Choice.objects.filter(choice_list=family.choice_list).values_list("code", flat=True)
    ) == [1, 2, 3, 4]
    assert diff_versions(version.pk, version.pk).warnings == ()


def test_start_from_unknown_concept_is_refused(study):
    with pytest.raises(ValueError, match="not in the item bank"):
        start_questionnaire_from_concepts(study, ["no_such"], questionnaire_name="core")


# -- the frozen guarantee, path by path ---------------------------------------------------


def test_frozen_version_refuses_save_and_delete(published):
    published.source_language = "ru"
    with pytest.raises(FrozenVersionError):
        published.save()
    with pytest.raises(FrozenVersionError):
        published.delete()


@pytest.mark.parametrize("model", [QuestionnaireVersion, Page, Question, ChoiceList, Choice])
def test_frozen_version_refuses_queryset_update_and_delete(published, model):
    rows = model.objects.all()
    changes: dict[str, object] = {"number": 9} if model is QuestionnaireVersion else {"name": "x"}
    with pytest.raises(FrozenVersionError):
        rows.update(**changes)
    with pytest.raises(FrozenVersionError):
        rows.delete()
    assert published.questions.count() == 5


def test_frozen_version_refuses_nested_row_save_and_new_rows(published):
    question = published.questions.get(name="age")
    question.labels = {"en": "changed"}
    with pytest.raises(FrozenVersionError):
        question.save()
    with pytest.raises(FrozenVersionError):
        Page(version=published, name="new", position=99).save()
    assert published.questions.get(name="age").labels == {"en": "Age", "ru": "Возраст"}


@postgres_only()
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE surveys_questionnaireversion SET source_language = 'xx' WHERE id = %s",
        "DELETE FROM surveys_questionnaireversion WHERE id = %s",
        "UPDATE surveys_question SET labels = '{}' WHERE version_id = %s",
        "DELETE FROM surveys_page WHERE version_id = %s",
        "UPDATE surveys_choicelist SET name = 'x' WHERE version_id = %s",
        "UPDATE surveys_choice SET code = code + 100 WHERE choice_list_id IN "
        "(SELECT id FROM surveys_choicelist WHERE version_id = %s)",
    ],
)
def test_raw_sql_cannot_change_a_published_version(published, statement):
    with (
        pytest.raises(IntegrityError, match="is published and frozen"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [published.pk])
    assert version_to_form(published) == version_to_form(
        QuestionnaireVersion.objects.get(pk=published.pk)
    )


def test_drafts_stay_editable(study, tmp_path):
    draft = import_questionnaire(write_form(tmp_path / "panel.xlsx"), study=study).version
    assert Question.objects.filter(version=draft, name="age").update(relevant="1 = 1") == 1
    draft.delete()
    assert QuestionnaireVersion.objects.count() == 0


# -- an item's name is its identity: a changed type is refused at import and publish -------


def _survey_with_age_as(age_type: str) -> list[list[str]]:
    return [
        row if row[1] != "age" else [row[0].replace("integer", age_type), *row[1:]]
        for row in SURVEY
    ]


def test_import_refuses_a_name_a_published_version_gives_another_type(published, study, tmp_path):
    path = write_form(tmp_path / "panel.xlsx", survey=_survey_with_age_as("text"))
    with pytest.raises(ItemTypeChangedError) as caught:
        import_questionnaire(path, study=study)
    assert str(caught.value) == ERROR_TYPE_CHANGED.format(name="age", old="integer", new="text")
    assert list(QuestionnaireVersion.objects.values_list("pk", flat=True)) == [published.pk]


def test_import_accepts_a_changed_type_when_only_a_draft_had_the_old_one(study, tmp_path):
    import_questionnaire(write_form(tmp_path / "panel.xlsx"), study=study)
    path = write_form(tmp_path / "panel.xlsx", survey=_survey_with_age_as("decimal"))
    assert import_questionnaire(path, study=study).version.number == 2


def test_fork_refuses_nothing_when_types_are_kept(published):
    assert fork_version(published.pk).number == 2


def test_publish_refuses_a_draft_whose_item_changed_type(published):
    draft = fork_version(published.pk)
    Question.objects.filter(version=draft, name="age").update(type="text")
    with pytest.raises(ItemTypeChangedError) as caught:
        publish_version(draft.pk)
    assert str(caught.value) == ERROR_TYPE_CHANGED.format(name="age", old="integer", new="text")
    draft.refresh_from_db()
    assert (draft.status, draft.content_hash) == ("draft", "")


def test_every_field_of_a_question_survives_the_database(study):
    # given: a question whose every field differs from its default
    question = QuestionSpec(
        name="origin",
        type="select_one",
        labels={"en": "Where from?", "ru": "Откуда?"},
        hints={"en": "Pick one"},
        required=True,
        required_message={"en": "Please answer"},
        relevant="${age} > 17",
        constraint=". != 'x'",
        constraint_message={"en": "Not x"},
        appearance="minimal",
        choice_list="places",
        other_choice="other",
        privacy="sensitive",
        harmonise="wvs_origin",
        attention_expected="a",
        extra={"tag": "kept"},
        calculation="once(1)",
        default="a",
        choice_filter="region = 'x'",
        section="block/inner",
        written_name="Origin",
    )
    defaults = QuestionSpec(name="origin", type="select_one")
    unchanged = [
        f.name for f in dataclasses.fields(QuestionSpec) if f.name not in {"name", "type", "row"}
    ]
    unchanged = [name for name in unchanged if getattr(question, name) == getattr(defaults, name)]
    assert unchanged == []
    places = ChoiceListSpec("places", (ChoiceSpec("a", 1, {"en": "A"}),))
    form = FormSpec(
        languages=("en", "ru"),
        source_language="en",
        pages=(PageSpec(name="p1", questions=(question,)),),
        choice_lists=(places,),
    )

    # when
    version = create_version(study, "roundtrip", form)

    # then
    assert version_to_form(version).pages[0].questions == (question,)
