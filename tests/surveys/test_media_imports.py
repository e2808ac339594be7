"""select_*_from_file items: their CSV or XML choice lists given to the command (--media
DIR), to the API (extra `media` file parts) and to the workspace upload page."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from surveys.formspec import FormError
from surveys.models import Choice
from surveys.xlsform import read_xlsform, write_xlsform
from tests.builders import make_study
from tests.surveys.forms import write_form
from tests.surveys.personas import login_verified, make_team

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


REGIONS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<root>
  <item><name>north</name><label>North</label></item>
  <item><name>south</name><label>South</label></item>
</root>
"""
TWO_LISTS = [
    ["type", "name", "label", "choice_filter"],
    ["select_one_from_file regions.xml", "region", "Your region", ""],
    ["select_one_from_file villages.csv", "village", "Your village", "region=${region}"],
]
VILLAGES_BY_REGION = "name,label,region\nv1,Upper Village,north\nv2,Lower Village,south\n"


def _two_lists(tmp_path: Path) -> tuple[Path, Path, Path]:
    form = write_form(tmp_path / "places.xlsx", TWO_LISTS, [["list_name", "name"]])
    xml = tmp_path / "regions.xml"
    xml.write_text(REGIONS_XML, encoding="utf-8")
    villages = tmp_path / "villages.csv"
    villages.write_text(VILLAGES_BY_REGION, encoding="utf-8")
    return form, xml, villages


def test_an_xml_choice_list_is_read_like_a_csv_one(tmp_path: Path) -> None:
    form_path, _xml, _villages = _two_lists(tmp_path)
    form = read_xlsform(form_path, media=tmp_path)
    regions = form.choice_list("regions.xml")
    assert regions is not None
    assert [(c.name, c.labels) for c in regions.choices] == [
        ("north", {"default": "North"}),
        ("south", {"default": "South"}),
    ]
    villages = form.choice_list("villages.csv")
    assert villages is not None
    assert villages.choices[1].extra == {"region": "south"}
    write_xlsform(form, tmp_path / "again.xlsx")
    assert read_xlsform(tmp_path / "again.xlsx") == form


def test_an_xml_list_with_entities_is_refused_not_expanded(tmp_path: Path) -> None:
    form_path, xml, _villages = _two_lists(tmp_path)
    xml.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><root><item><name>&b;</name></item></root>',
        encoding="utf-8",
    )
    with pytest.raises(FormError) as caught:
        read_xlsform(form_path, media=tmp_path)
    assert str(caught.value).startswith("regions.xml: cannot be read as an XLSForm (")


def test_the_workspace_upload_takes_the_choice_files_beside_the_form(
    client: Client, tmp_path: Path
) -> None:
    team = make_team(make_study("alpha"), make_study("beta"))
    login_verified(client, team.researcher)
    form, xml, villages = _two_lists(tmp_path)
    url = "/workspace/alpha/questionnaires/upload/"

    def post(*files: Path) -> Any:
        return client.post(
            url,
            {
                "file": SimpleUploadedFile(form.name, form.read_bytes()),
                "choice_files": [SimpleUploadedFile(f.name, f.read_bytes()) for f in files],
            },
        )

    missing = post(xml)
    assert missing.status_code == 400
    assert "choice list file &#x27;villages.csv&#x27; is not given" in missing.content.decode()
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    wrong = post(xml, notes)
    assert wrong.status_code == 400
    assert "&#x27;notes.txt&#x27; is not a choice list file (use .csv or .xml)" in (
        wrong.content.decode()
    )
    assert post(xml, villages).status_code == 302
    names = Choice.objects.filter(choice_list__name="regions.xml").values_list("name", flat=True)
    assert sorted(names) == ["north", "south"]


def test_the_api_takes_an_xml_choice_list(tmp_path: Path) -> None:
    team = make_team(make_study("alpha"), make_study("beta"))
    form, xml, villages = _two_lists(tmp_path)
    client = APIClient()
    client.force_authenticate(team.researcher)
    url = "/api/v1/studies/alpha/questionnaires/upload/"
    with form.open("rb") as handle, xml.open("rb") as regions, villages.open("rb") as csv:
        reply = client.post(url, {"file": handle, "media": [regions, csv]}, format="multipart")
    assert reply.status_code == 201, reply.json()
    assert Choice.objects.filter(choice_list__name="regions.xml").count() == 2
