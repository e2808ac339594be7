"""The native JSON format (no database): language checks on top of the JSON Schema."""

import json
from pathlib import Path
from typing import Any

import pytest

from surveys.formjson import form_to_dict, read_json
from surveys.formspec import FormError, FormSpec
from surveys.xlsform import read_xlsform
from tests.surveys.forms import write_form


@pytest.fixture
def document(tmp_path):
    return form_to_dict(read_xlsform(write_form(tmp_path / "panel.xlsx")))


def _read(document: dict[str, Any], tmp_path: Path) -> FormSpec:
    path = tmp_path / "form.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return read_json(path)


def test_an_exported_form_reads_back(document, tmp_path):
    assert form_to_dict(_read(document, tmp_path)) == document


def test_a_source_language_that_is_not_declared_is_refused(document, tmp_path):
    document["source_language"] = "de"
    with pytest.raises(FormError) as caught:
        _read(document, tmp_path)
    assert str(caught.value) == (
        "form.json: source language 'de' is not one of the form's languages (en, ru)"
    )


@pytest.mark.parametrize(
    ("_case", "change", "message"),
    [
        (
            "question label",
            lambda d: d["pages"][0]["questions"][0]["labels"].update(de="Alter"),
            "item 'age': labels has text in 'de'",
        ),
        (
            "hint",
            lambda d: d["pages"][0]["questions"][0]["hints"].update(fr="Âge"),
            "item 'age': hints has text in 'fr'",
        ),
        (
            "constraint message",
            lambda d: d["pages"][0]["questions"][0]["constraint_message"].update(de="18-110"),
            "item 'age': constraint_message has text in 'de'",
        ),
        (
            "page label",
            lambda d: d["pages"][0]["labels"].update(de="Über Sie"),
            "page 'about': labels has text in 'de'",
        ),
        (
            "choice label",
            lambda d: d["choice_lists"][0]["choices"][0]["labels"].update(de="Ja"),
            "choice '1' of list 'trust': labels has text in 'de'",
        ),
    ],
)
def test_texts_in_undeclared_languages_are_refused_naming_where(
    document, tmp_path, _case, change, message
):
    change(document)
    with pytest.raises(FormError) as caught:
        _read(document, tmp_path)
    assert str(caught.value).startswith(f"form.json: {message}")
    assert str(caught.value).endswith("which is not one of the form's languages (en, ru)")


def test_an_out_of_range_choice_code_is_refused(document, tmp_path):
    document["choice_lists"][0]["choices"][0]["code"] = 2**40
    with pytest.raises(FormError, match=r"code 1099511627776 of choice '1' is outside"):
        _read(document, tmp_path)


def test_a_long_appearance_is_refused(document, tmp_path):
    document["pages"][0]["questions"][0]["appearance"] = "a" * 101
    with pytest.raises(FormError) as caught:
        _read(document, tmp_path)
    assert str(caught.value) == (
        f"form.json: column appearance: {'a' * 101!r} is longer than 100 characters"
    )
