"""Cascades over choice columns. A choice list with a name twice (settings
`allow_choice_duplicates`): the town "Springfield" belongs to two regions, and the cascade
offers it under either; the form round-trips through the database and the XLSForm writer.
A filter testing a translated label column (`label::English`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from respondents.models import Response
from respondents.services.waves import open_wave
from surveys.formjson import read_json, write_json
from surveys.formspec import FormError
from surveys.services.questionnaires import (
    export_questionnaire,
    import_questionnaire,
    publish_version,
)
from surveys.xlsform import read_xlsform
from tests.builders import make_study
from tests.respondents.form_helpers import page_post, start_open
from tests.surveys.forms import write_form

pytestmark = pytest.mark.django_db

SURVEY = [
    ["type", "name", "label", "choice_filter"],
    ["select_one regions", "region", "Region", ""],
    ["select_one towns", "town", "Town", "${region} = region"],
]
CHOICES = [
    ["list_name", "name", "label", "region"],
    ["regions", "east", "East", ""],
    ["regions", "west", "West", ""],
    ["towns", "springfield", "Springfield", "east"],
    ["towns", "easton", "Easton", "east"],
    ["towns", "springfield", "Springfield", "west"],
    ["towns", "weston", "Weston", "west"],
]


def _form(tmp_path: Path, allow: str) -> Path:
    settings = [["form_id", "allow_choice_duplicates"], ["towns", allow]]
    return write_form(tmp_path / "towns.xlsx", SURVEY, CHOICES, settings)


def test_duplicates_are_refused_unless_the_settings_allow_them(tmp_path: Path) -> None:
    with pytest.raises(FormError, match="choice 'springfield' appears twice in list 'towns'"):
        read_xlsform(_form(tmp_path, "no"))
    towns = read_xlsform(_form(tmp_path, "yes")).choice_list("towns")
    assert towns is not None
    assert [(c.name, c.code, c.extra, c.variants) for c in towns.choices] == [
        ("springfield", 1, {"region": "east"}, ({"region": "west"},)),
        ("easton", 2, {"region": "east"}, ()),
        ("weston", 3, {"region": "west"}, ()),
    ]
    form = read_xlsform(_form(tmp_path, "yes"))
    write_json(form, tmp_path / "towns.json")
    assert read_json(tmp_path / "towns.json") == form


def test_the_cascade_offers_a_duplicated_choice_under_each_of_its_rows(tmp_path: Path) -> None:
    study = make_study("towns", languages=("default",))
    path = _form(tmp_path, "yes")
    version = publish_version(import_questionnaire(path, study=study).version.pk)
    exported = export_questionnaire(version.pk, format="xlsform", out=tmp_path / "out.xlsx")
    assert read_xlsform(exported) == read_xlsform(path)

    wave = open_wave(study, version, "w1")
    client = Client()
    url = start_open(client, wave)
    html = client.get(url).content.decode()
    assert client.post(url, page_post(html, {"region": ["west"]})).status_code == 303
    html = client.get(url).content.decode()
    assert re.findall(r'name="town" value="([^"]*)"', html) == ["springfield", "weston"]
    assert client.post(url, page_post(html, {"town": ["springfield"]})).status_code == 303
    answers = Response.objects.get(wave=wave).answers
    assert (answers["region"], answers["town"]) == ("west", "springfield")


def test_a_choice_filter_may_test_a_label_column(tmp_path: Path) -> None:
    # pyxform lets a filter read a translated column (`label::English`): here the towns
    # that have an English name are the ones offered in the English list.
    survey = [
        ["type", "name", "label::English (en)", "label::Deutsch (de)", "choice_filter"],
        ["select_one towns", "town", "Town", "Stadt", "label::English != ''"],
    ]
    choices = [
        ["list_name", "name", "label::English (en)", "label::Deutsch (de)"],
        ["towns", "munich", "Munich", "München"],
        ["towns", "kleinstadt", "", "Kleinstadt"],
        ["towns", "cologne", "Cologne", "Köln"],
    ]
    study = make_study("labels", languages=("en", "de"))
    path = write_form(tmp_path / "labels.xlsx", survey, choices)
    wave = open_wave(
        study, publish_version(import_questionnaire(path, study=study).version.pk), "w1"
    )
    client = Client()
    url = start_open(client, wave, query="?lang=de")
    html = client.get(url).content.decode()
    assert re.findall(r'name="town" value="([^"]*)"', html) == ["munich", "cologne"]
