"""An upload with several bad rows is refused once, naming every one of them."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from surveys.formspec import MAX_PROBLEMS, FormError
from surveys.xlsform import read_xlsform
from tests.builders import make_study
from tests.surveys.forms import write_form
from tests.surveys.personas import login_verified, make_team

HEAD = ["type", "name", "label", "relevant"]
CHOICES = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "yes", "Yes again"]]


def _refusal(path: Path) -> FormError:
    with pytest.raises(FormError) as caught:
        read_xlsform(path)
    return caught.value


def test_every_bad_row_of_the_sheets_is_named(tmp_path):
    survey = [
        HEAD,
        ["teleport", "a", "A", ""],
        ["text", "b", "B", ""],
        ["text", "bad name", "C", ""],
        ["select_one yn", "d", "D", ""],
    ]
    refusal = _refusal(write_form(tmp_path / "f.xlsx", survey, CHOICES))
    assert refusal.problems == (
        "f.xlsx: row 2, column type: type 'teleport' ('a') cannot be asked in a web survey; "
        "remove it or import with --skip-unsupported",
        "f.xlsx: row 4, column name: 'bad name' is not a valid XLSForm name (letters, digits, "
        "_ - .; no spaces)",
        "f.xlsx: row 3, column name: choice 'yes' appears twice in list 'yn'",
    )
    assert str(refusal) == "\n".join(refusal.problems)
    places = [(d.sheet, d.row, d.column) for d in refusal.details]
    assert places == [("survey", 2, "type"), ("survey", 4, "name"), ("choices", 3, "name")]


def test_every_bad_expression_is_named(tmp_path):
    survey = [
        HEAD,
        ["text", "a", "A", "${nowhere} = 1"],
        ["text", "b", "B", ""],
        ["text", "c", "C", "${b} = = 2"],
    ]
    refusal = _refusal(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    assert [line.split(": ", 2)[1] for line in refusal.problems] == [
        "row 2, column relevant",
        "row 4, column relevant",
    ]
    assert "refers to ${nowhere}, which is not an item of this form" in refusal.problems[0]


def test_a_form_with_many_bad_rows_names_the_first_fifty(tmp_path):
    survey = [HEAD, *(["teleport", f"t{n}", "T", ""] for n in range(60))]
    refusal = _refusal(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    assert len(refusal.problems) == MAX_PROBLEMS + 1
    assert refusal.problems[-1] == "... and 10 more problems"


@pytest.mark.django_db
def test_the_workspace_shows_every_problem_on_its_own_line(client: Client, tmp_path):
    team = make_team(make_study("alpha"), make_study("beta"))
    login_verified(client, team.researcher)
    survey = [HEAD, ["teleport", "a", "A", ""], ["gravity", "b", "B", ""]]
    path = write_form(tmp_path / "odd.xlsx", survey, [["list_name", "name"]])
    reply = client.post(
        "/workspace/alpha/questionnaires/upload/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes())},
    )
    body = reply.content.decode()
    assert reply.status_code == 400
    assert "row 2, column type: type &#x27;teleport&#x27;" in body
    assert "--skip-unsupported<br>odd.xlsx: row 3, column type: type &#x27;gravity&#x27;" in body
