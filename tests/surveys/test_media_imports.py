"""select_*_from_file items: their CSV choice lists given to the command (--media DIR) and
to the API (extra `media` file parts)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from surveys.models import Choice
from tests.builders import make_study
from tests.surveys.forms import write_form
from tests.surveys.personas import make_team

pytestmark = pytest.mark.django_db

SURVEY = [
    ["type", "name", "label::English (en)"],
    ["select_one_from_file villages.csv", "village", "Your village"],
]
VILLAGES = "name,label::English (en)\nv1,Upper Village\nv2,Lower Village\n"


def _form(tmp_path: Path) -> tuple[Path, Path]:
    media = tmp_path / "media"
    media.mkdir()
    (media / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    return write_form(tmp_path / "villages.xlsx", SURVEY, [["list_name", "name"]]), media


def test_the_command_reads_choice_lists_from_the_media_directory(tmp_path: Path) -> None:
    make_study("panel")
    form, media = _form(tmp_path)
    out = StringIO()
    call_command(
        "import_questionnaire",
        str(form),
        "--study",
        "panel",
        "--media",
        str(media),
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["items"] == 1
    names = Choice.objects.filter(choice_list__name="villages.csv").values_list("name", flat=True)
    assert list(names) == ["v1", "v2"]


def test_the_api_takes_choice_lists_as_extra_file_parts(tmp_path: Path) -> None:
    team = make_team(make_study("alpha"), make_study("beta"))
    form, media = _form(tmp_path)
    client = APIClient()
    client.force_authenticate(team.researcher)
    url = "/api/v1/studies/alpha/questionnaires/upload/"
    with form.open("rb") as handle:
        missing = client.post(url, {"file": handle}, format="multipart")
    assert missing.status_code == 400
    assert "choice list file 'villages.csv' is not given" in missing.json()["detail"]
    with form.open("rb") as handle, (media / "villages.csv").open("rb") as villages:
        reply = client.post(url, {"file": handle, "media": [villages]}, format="multipart")
    assert reply.status_code == 201, reply.json()
    assert Choice.objects.filter(choice_list__name="villages.csv").count() == 2
