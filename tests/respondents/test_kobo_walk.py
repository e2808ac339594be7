"""A Kobo-style questionnaire (nested groups, calculations, a cascade, piping, ODK paths)
imported from its XLSForm, published, and walked to the end as a respondent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from respondents.models import Response, ResponseStatus
from respondents.services.waves import open_wave
from surveys.services.questionnaires import (
    export_questionnaire,
    import_questionnaire,
    publish_version,
)
from surveys.xlsform import read_xlsform
from tests.builders import make_study
from tests.respondents.form_helpers import hidden_value, page_post, start_open
from tests.surveys.forms import write_form
from tests.surveys.kobo_forms import household_form

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, answers: dict[str, list[str]]) -> str:
    html = client.get(url).content.decode()
    posted = client.post(url, page_post(html, answers))
    assert posted.status_code == 303, posted.content.decode()[:3000]
    return client.get(url).content.decode()


def _choices(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)"', html)


def test_household_form_walks_to_the_end_as_its_author_meant(tmp_path: Path) -> None:
    study = make_study("kobo", languages=("en", "sw"))
    result = import_questionnaire(household_form(tmp_path / "household.xlsx"), study=study)
    version = publish_version(result.version.pk)
    # Round trip through the database: the exported XLSForm reads back equal.
    out = export_questionnaire(version.pk, format="xlsform", out=tmp_path / "out.xlsx")
    assert read_xlsform(out) == read_xlsform(tmp_path / "household.xlsx")

    wave = open_wave(study, version, "w1")
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    assert hidden_value(client.get(url).content.decode(), "_pw_page") == "consent"
    html = _post(client, url, {"consent": ["yes"]})
    html = _post(client, url, {"resp_name": ["Amina <b>"]})

    # The household page: its title pipes the name (escaped) with the bold markup; the
    # spouse section waits for the head's age (a group-level relevant with an ODK path).
    assert hidden_value(html, "_pw_page") == "household"
    assert "<strong>Household</strong> of Amina &lt;b&gt;" in html
    assert "Head of household</h2>" in html
    assert "Spouse</h2>" not in html
    html = _post(client, url, {"head_age": ["40"], "sex": ["female"]})
    assert hidden_value(html, "_pw_page") == "household"
    assert "Spouse</h2>" in html
    html = _post(client, url, {"head_age": ["40"], "sex": ["female"], "spouse_age": ["17"]})

    # The cascade: no district until a region is chosen, then only that region's.
    assert hidden_value(html, "_pw_page") == "place"
    assert _choices(html, "district") == []
    html = _post(client, url, {"region": ["north"]})
    assert _choices(html, "district") == ["n1", "n2"]
    html = _post(client, url, {"region": ["north"], "district": ["n2"]})

    assert hidden_value(html, "_pw_page") == "thanks"
    assert "Thank you, <em>Amina &lt;b&gt;</em>!<br>Your household has 1 adult(s)." in html
    _post(client, url, {})

    response = Response.objects.get(wave=wave)
    assert response.status == ResponseStatus.COMPLETED
    assert response.answers == {
        "consent": "yes",
        "resp_name": "Amina <b>",
        "head_age": 40,
        "sex": "female",
        "spouse_age": 17,
        "head_sex_label": "Female",
        "adults": 1,
        "region": "north",
        "district": "n2",
        "summary": "Amina <b>: 1 adult(s), Female",
    }


def test_a_changed_region_drops_the_district_it_no_longer_offers(tmp_path: Path) -> None:
    study = make_study("kobo2", languages=("en", "sw"))
    result = import_questionnaire(household_form(tmp_path / "household.xlsx"), study=study)
    wave = open_wave(study, publish_version(result.version.pk), "w1")
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    _post(client, url, {"consent": ["no"]})
    html = _post(client, url, {"region": ["north"]})
    html = _post(client, url, {"region": ["north"], "district": ["n1"]})
    # Back to the place page, then south: n1 is not a southern district.
    html_back = client.post(url, page_post(html, {}, action="back"))
    assert html_back.status_code == 303
    html = client.get(url).content.decode()
    refused = client.post(url, page_post(html, {"region": ["south"], "district": ["n1"]}))
    assert refused.status_code == 200
    assert _choices(refused.content.decode(), "district") == ["s1"]
    _post(client, url, {"region": ["south"], "district": ["s1"]})
    response = Response.objects.get(wave=wave)
    assert (response.answers["region"], response.answers["district"]) == ("south", "s1")


def test_the_consent_page_again_forwards_to_the_started_response(tmp_path: Path) -> None:
    study = make_study("kobo3", languages=("en",))
    result = import_questionnaire(household_form(tmp_path / "household.xlsx"), study=study)
    wave = open_wave(study, publish_version(result.version.pk), "w1")
    client = Client()
    consent = client.get(f"/s/{wave.slug}/?lang=en").content.decode()
    offer = hidden_value(consent, "_pw_start")
    started = client.post(f"/s/{wave.slug}/?lang=en", {"website": "", "_pw_start": offer})
    url = started["Location"]
    again = client.get(f"/s/{wave.slug}/?lang=en")
    assert again.status_code == 303
    assert again["Location"] == f"{url}?lang=en"
    # The session cookie ends with the browser: nothing persistent is left behind.
    assert client.cookies["sessionid"]["expires"] == ""
    assert Response.objects.filter(wave=wave).count() == 1


def test_the_wave_offers_the_versions_languages_and_arabic_reads_right_to_left(
    tmp_path: Path,
) -> None:
    study = make_study("kobo4", languages=("en",))
    result = import_questionnaire(household_form(tmp_path / "household.xlsx"), study=study)
    wave = open_wave(study, publish_version(result.version.pk), "w1")
    study.refresh_from_db()
    assert study.languages == ["en", "sw"]
    html = Client().get(f"/s/{wave.slug}/?lang=sw").content.decode()
    assert '<html lang="sw" dir="ltr">' in html
    assert "Mahitaji ya kaya" in html  # the title in Swahili

    arabic = [
        ["type", "name", "label::English (en)", "label::العربية"],
        ["text", "name_q", "Name", "الاسم"],
    ]
    path = write_form(tmp_path / "ar.xlsx", arabic, [["list_name", "name"]])
    version = publish_version(import_questionnaire(path, study=study).version.pk)
    wave = open_wave(study, version, "w2")
    client = Client()
    url = start_open(client, wave, query="?lang=ar")
    html = client.get(url).content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "الاسم" in html
