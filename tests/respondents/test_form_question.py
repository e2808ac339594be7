"""The respondent form's question is derived from QuestionSpec: every declared field reaches
it from the stored version, resolved where the form evaluates it."""

from dataclasses import fields

import pytest

from respondents.services.form_schema import FormQuestion, load_form
from surveys.formspec import (
    QUESTION_FIELDS,
    ChoiceListSpec,
    ChoiceSpec,
    FormSpec,
    PageSpec,
    QuestionSpec,
)
from surveys.services.questionnaires import create_version, publish_version
from tests.builders import make_study

pytestmark = pytest.mark.django_db


def test_the_form_question_holds_every_declared_field_and_only_its_own_besides():
    declared = {f.name for f in fields(QuestionSpec)}
    held = {f.name for f in fields(FormQuestion)}
    assert held - declared == {"choices", "conditions"}
    assert declared <= held


def _spec() -> FormSpec:
    age = QuestionSpec(name="age", type="integer", labels={"en": "Age"})
    # Every field set to something other than its default.
    mood = QuestionSpec(
        name="about_mood",
        type="select_one",
        labels={"en": "Mood at ${age}?"},
        hints={"en": "Pick one"},
        required=True,
        required_message={"en": "Please answer"},
        relevant="${age} > 17",
        constraint=". != 'bad'",
        constraint_message={"en": "Not that one"},
        appearance="minimal",
        choice_list="moods",
        other_choice="other",
        privacy="sensitive",
        harmonise="life_satisfaction",
        attention_expected="good",
        extra={"media::image": "mood.png"},
        default="good",
        choice_filter="name != 'none'",
        section="feelings",
        written_name="mood",
    )
    moods = ChoiceListSpec(
        name="moods",
        choices=tuple(
            ChoiceSpec(name=name, code=code, labels={"en": name})
            for code, name in enumerate(("good", "bad", "none", "other"), start=1)
        ),
    )
    page = PageSpec(name="about", labels={"en": "About you"}, questions=(age, mood))
    return FormSpec(languages=("en",), source_language="en", pages=(page,), choice_lists=(moods,))


def test_every_declared_field_reaches_the_respondent_form():
    form = _spec()
    version = publish_version(create_version(make_study("decl", ("en",)), "main", form).pk)
    stored = form.pages[0].questions[1]
    asked = load_form(version).question("about_mood")
    assert asked is not None
    assert {n: getattr(asked, n) for n in QUESTION_FIELDS} == {
        n: getattr(stored, n) for n in QUESTION_FIELDS
    }
    assert [c.name for c in asked.choices] == ["good", "bad", "none", "other"]
