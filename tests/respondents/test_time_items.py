"""XLSForm `time` items: a time input, the author's default prefilled to the minute,
answers kept as HH:MM, a wrong time refused with a sentence saying what is expected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from respondents.models import Response
from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.builders import make_study
from tests.respondents.form_helpers import page_post, start_open
from tests.surveys.forms import write_form

pytestmark = pytest.mark.django_db

SURVEY = [
    ["type", "name", "label", "default"],
    ["time", "woke", "When did you wake up?", "09:30:00"],
    ["time", "slept", "When did you go to sleep?", ""],
]


def test_time_items_are_asked_with_a_time_input_and_kept_to_the_minute(tmp_path: Path) -> None:
    study = make_study("sleep", languages=("en",))
    form = write_form(tmp_path / "sleep.xlsx", SURVEY, [["list_name", "name"]])
    wave = open_wave(
        study, publish_version(import_questionnaire(form, study=study).version.pk), "w1"
    )
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    html = client.get(url).content.decode()
    woke = re.search(r'<input[^>]*name="woke"[^>]*>', html)
    assert woke is not None
    assert 'type="time"' in woke[0]
    assert 'value="09:30"' in woke[0]
    refused = client.post(url, page_post(html, {"woke": ["25:10"]}))
    assert refused.status_code == 200
    assert "Enter a time as HH:MM, for example 09:30." in refused.content.decode()
    assert client.post(url, page_post(html, {"woke": ["7:05"]})).status_code == 303
    html = client.get(url).content.decode()
    assert client.post(url, page_post(html, {"slept": ["23:40"]})).status_code == 303
    answers = Response.objects.get(wave=wave).answers
    assert (answers["woke"], answers["slept"]) == ("07:05", "23:40")
