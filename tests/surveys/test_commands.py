"""The scripting-contract commands for questionnaires, end to end."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from surveys.models import QuestionnaireVersion
from tests.builders import make_study
from tests.surveys.forms import SAMPLES, write_form

pytestmark = pytest.mark.django_db


def _run(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    result: dict[str, object] = json.loads(out.getvalue())
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
        assert diff == {"added": [], "removed": [], "changed": [], "warnings": []}


def test_import_skip_unsupported_lists_skipped_items():
    make_study("panel")
    with pytest.raises(CommandError) as caught:
        _run("import_questionnaire", str(SAMPLES / "group.xlsx"), "--study", "nope")
    assert str(caught.value) == "no study with slug 'nope'"


def test_import_refusal_is_one_line_naming_file_row_and_column():
    make_study("panel")
    with pytest.raises(CommandError) as caught:
        _run("import_questionnaire", str(SAMPLES / "tutorial.xls"), "--study", "panel")
    assert str(caught.value).startswith("tutorial.xls: row 2, column type: type 'begin repeat'")
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
