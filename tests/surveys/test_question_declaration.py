"""QuestionSpec is the one declaration of a question's fields: the JSON Schema of the native
format is derived from it, so a field added there is described and accepted, and nothing
else is."""

import json
from dataclasses import fields
from pathlib import Path

import pytest

from surveys.formjson import form_to_dict, read_json
from surveys.formjson_schema import question_schema, questionnaire_schema
from surveys.formspec import (
    QUESTION_FIELDS,
    TRANSLATED_QUESTION_FIELDS,
    FormError,
    QuestionSpec,
)
from surveys.xlsform import read_xlsform
from tests.surveys.forms import write_form


def test_the_schema_describes_exactly_the_declared_fields():
    declared = {f.name for f in fields(QuestionSpec)} - {"row"}
    properties = questionnaire_schema()["$defs"]["question"]["properties"]
    assert set(properties) == declared == set(QUESTION_FIELDS)
    assert all(p["description"] for p in properties.values())


def test_field_types_and_rules_come_from_the_declaration():
    properties = question_schema()["properties"]
    assert properties["required"]["type"] == "boolean"
    assert properties["relevant"]["type"] == "string"
    assert properties["labels"]["$ref"] == "#/$defs/texts"
    assert properties["privacy"]["enum"] == ["", "identifier", "quasi", "sensitive"]
    assert properties["section"]["maxLength"] == 300
    assert question_schema()["required"] == ["name", "type"]
    # The texts by language, which the language checks and the version diff go through.
    assert TRANSLATED_QUESTION_FIELDS == (
        "labels",
        "hints",
        "required_message",
        "constraint_message",
    )


def _read(document: dict[str, object], tmp_path: Path) -> None:
    path = tmp_path / "form.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    read_json(path)


def test_the_derived_schema_refuses_an_undeclared_field_and_a_wrong_type(tmp_path):
    document = form_to_dict(read_xlsform(write_form(tmp_path / "panel.xlsx")))
    question = document["pages"][0]["questions"][0]
    question["mood"] = "x"
    with pytest.raises(FormError, match=r"\$\.pages\[0\]\.questions\[0\]: .*'mood' was unexpected"):
        _read(document, tmp_path)
    del question["mood"]
    question["required"] = "yes"
    with pytest.raises(
        FormError, match=r"questions\[0\]\.required: 'yes' is not of type 'boolean'"
    ):
        _read(document, tmp_path)
