"""The scripting-contract commands for questionnaires, end to end."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from surveys.diff import ERROR_TYPE_CHANGED
from surveys.itembank import ITEM_BANK_PATH, read_item_bank
from surveys.models import ItemBankConcept, Question, QuestionnaireVersion
from surveys.services.questionnaires import fork_version
from tests.builders import make_study
from tests.surveys.forms import SAMPLES, SURVEY, write_form

pytestmark = pytest.mark.django_db


def _run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_import_publish_export_diff_round_trip(tmp_path):
    make_study("panel")
    imported = _run(
        "import_questionnaire", str(write_form(tmp_path / "panel.xlsx")), "--study", "panel"
    )
    assert (imported["items"], imported["languages"], imported["skipped"]) == (5, ["en", "ru"], [])
    published = _run("publish_version", str(imported["version"]))
    assert published["status"] == "published"
    for export_format, suffix in (("xlsform", "xlsx"), ("json", "json")):
        out = tmp_path / f"export.{suffix}"
        _run(
            "export_questionnaire",
            str(imported["version"]),
            "--format",
            export_format,
            "--out",
            str(out),
        )
        again = _run(
            "import_questionnaire", str(out), "--study", "panel", "--name", f"copy-{suffix}"
        )
        diff = _run("diff_versions", str(imported["version"]), str(again["version"]))
        assert diff == {
            "added": [],
            "removed": [],
            "changed": [],
            "pages": {"added": [], "removed": [], "changed": []},
            "form": [],
            "warnings": [],
        }


def test_import_skip_unsupported_lists_skipped_items(tmp_path):
    # given: the project's form with a photo and a geopoint question added
    make_study("panel")
    survey = [
        *SURVEY,
        ["image", "selfie", "Photo", "Фото"],
        ["geopoint", "where", "Where?", "Где?"],
    ]
    path = write_form(tmp_path / "photo.xlsx", survey=survey)
    # when
    imported = _run("import_questionnaire", str(path), "--study", "panel", "--skip-unsupported")
    # then
    assert (imported["items"], imported["skipped"]) == (
        5,
        [
            {"row": 10, "name": "selfie", "type": "image"},
            {"row": 11, "name": "where", "type": "geopoint"},
        ],
    )
    version = QuestionnaireVersion.objects.get(pk=imported["version"])
    assert not version.questions.filter(name__in=["selfie", "where"]).exists()


def test_import_of_the_tutorial_makes_its_repeat_a_roster_page():
    make_study("panel")
    imported = _run("import_questionnaire", str(SAMPLES / "tutorial.xls"), "--study", "panel")
    assert (imported["items"], imported["skipped"]) == (10, [])
    assert QuestionnaireVersion.objects.get().pages.get().repeat == {
        "count": "",
        "min": 0,
        "max": 0,
    }


def test_import_into_an_unknown_study_is_refused():
    with pytest.raises(CommandError) as caught:
        _run("import_questionnaire", str(SAMPLES / "group.xlsx"), "--study", "nope")
    assert str(caught.value) == "no study with slug 'nope'"


def test_load_item_bank_loads_every_concept_and_is_idempotent():
    first = _run("load_item_bank")
    again = _run("load_item_bank")
    total = len(read_item_bank(ITEM_BANK_PATH))
    assert first == {"created": total, "updated": 0, "total": total}
    assert again == {"created": 0, "updated": total, "total": total}
    concept = ItemBankConcept.objects.get(key="trust_people")
    assert (concept.wvs7_item, concept.ess_variable) == ("Q57", "ppltrst")


def test_load_item_bank_refuses_a_malformed_file_naming_it(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text("schema_version: 2\nconcepts: {}\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        _run("load_item_bank", str(path))
    assert str(caught.value) == f"{path}: schema_version 2 is not supported (expected 1)"
    assert ItemBankConcept.objects.count() == 0


def test_start_questionnaire_from_concepts_command():
    make_study("panel")
    _run("load_item_bank")
    started = _run(
        "start_questionnaire_from_concepts",
        "trust_people",
        "happiness",
        "--study",
        "panel",
        "--name",
        "core",
    )
    assert (started["questionnaire"], started["number"], started["items"]) == ("core", 1, 2)
    version = QuestionnaireVersion.objects.get(pk=started["version"])
    assert list(version.questions.values_list("harmonise", flat=True)) == [
        "trust_people",
        "happiness",
    ]
    with pytest.raises(CommandError) as caught:
        _run("start_questionnaire_from_concepts", "nope", "--study", "panel", "--name", "x")
    assert str(caught.value) == "not in the item bank (run load_item_bank?): nope"


def test_import_refusal_is_one_line_naming_file_row_and_column(tmp_path):
    make_study("panel")
    survey = [row[:] for row in SURVEY]
    survey.insert(2, ["geopoint", "where", "Where?", *[""] * (len(SURVEY[0]) - 3)])
    path = write_form(Path(tmp_path) / "geo.xlsx", survey=survey)
    with pytest.raises(CommandError) as caught:
        _run("import_questionnaire", str(path), "--study", "panel")
    assert str(caught.value).startswith("geo.xlsx: row 3, column type: type 'geopoint'")
    assert "\n" not in str(caught.value)
    assert QuestionnaireVersion.objects.count() == 0


def test_publish_twice_is_refused():
    make_study("panel")
    imported = _run("import_questionnaire", str(SAMPLES / "group.xlsx"), "--study", "panel")
    _run("publish_version", str(imported["version"]))
    with pytest.raises(CommandError, match="is published and frozen"):
        _run("publish_version", str(imported["version"]))


def test_unknown_version_is_named():
    with pytest.raises(CommandError) as caught:
        _run("diff_versions", "998", "999")
    assert str(caught.value) == "no questionnaire version 998"


def test_publish_refusing_a_changed_item_type_is_a_one_line_error():
    # given a published version and a fork whose item `age` was changed to another type
    make_study("panel")
    imported = _run("import_questionnaire", str(SAMPLES / "group.xlsx"), "--study", "panel")
    _run("publish_version", str(imported["version"]))
    draft = fork_version(imported["version"])
    question = draft.questions.order_by("position").first()
    assert question is not None
    new_type = "text" if question.type != "text" else "integer"
    Question.objects.filter(pk=question.pk).update(type=new_type)

    # when / then: a CommandError naming the item and both types, and the draft stays a draft
    with pytest.raises(CommandError) as caught:
        _run("publish_version", str(draft.pk))
    assert str(caught.value) == ERROR_TYPE_CHANGED.format(
        name=question.name, old=question.type, new=new_type
    )
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize("_case", ["a directory", "an unwritable file"])
def test_export_to_a_path_it_cannot_write_is_a_one_line_error(tmp_path, _case):
    # given
    make_study("panel")
    imported = _run("import_questionnaire", str(SAMPLES / "group.xlsx"), "--study", "panel")
    if _case == "a directory":
        out, expected = tmp_path, f"{tmp_path}: is a directory; give the file to write"
    else:
        # procfs refuses the write even to root (CI runs as root, so chmod would not do)
        out, expected = Path("/proc/version"), "/proc/version: cannot write the file"

    # when / then
    with pytest.raises(CommandError) as caught:
        _run(
            "export_questionnaire", str(imported["version"]), "--format", "json", "--out", str(out)
        )
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_a_choice_named_by_a_long_sentence_is_stored_and_exported_back(tmp_path):
    # Kobo authors paste whole sentences as choice names; pyxform sets no limit.
    sentence = "Bins are full, but the waste is left beside them in an orderly way " * 4
    name = sentence.strip().replace(" ", "_").replace(",", "")[:255]
    survey = [["type", "name", "label"], ["select_one state", "state", "State?"]]
    choices = [["list_name", "name", "label"], ["state", name, "Full"], ["state", "ok", "OK"]]
    make_study("bins")
    imported = _run(
        "import_questionnaire",
        str(write_form(tmp_path / "bins.xlsx", survey, choices)),
        "--study",
        "bins",
    )
    out = tmp_path / "back.json"
    _run("export_questionnaire", str(imported["version"]), "--format", "json", "--out", str(out))
    written = json.loads(out.read_text())
    assert [c["name"] for c in written["choice_lists"][0]["choices"]] == [name, "ok"]
    too_long = [["list_name", "name", "label"], ["state", name + "x", "Full"]]
    with pytest.raises(CommandError, match=r"row 2, column name: .* is longer than 255"):
        _run(
            "import_questionnaire",
            str(write_form(tmp_path / "long.xlsx", survey, too_long)),
            "--study",
            "bins",
        )
