"""A calculation that reads calculations written after it has its value as soon as the
respondent answers what they read (computed in dependency order, not form order)."""

from __future__ import annotations

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
    ["type", "name", "label", "calculation"],
    # Written in the reverse of the order they can be computed in: a chain of three.
    ["calculate", "summary", "", "concat(${band}, ' (', ${decade}, '0s)')"],
    ["calculate", "band", "", "if(${decade} >= 4, 'older', 'younger')"],
    ["calculate", "decade", "", "int(${age} div 10)"],
    ["integer", "age", "Your age?", ""],
    ["note", "shown", "You are ${summary}.", ""],
]


def test_a_chain_of_calculations_written_backwards_is_computed_at_once(tmp_path: Path) -> None:
    study = make_study("calc", languages=("default",))
    form = write_form(tmp_path / "calc.xlsx", SURVEY, [["list_name", "name"]])
    wave = open_wave(
        study, publish_version(import_questionnaire(form, study=study).version.pk), "w1"
    )
    client = Client()
    url = start_open(client, wave)
    html = client.get(url).content.decode()
    assert client.post(url, page_post(html, {"age": ["47"]})).status_code == 303
    html = client.get(url).content.decode()
    assert "You are older (40s)." in html
    answers = Response.objects.get(wave=wave).answers
    assert (answers["decade"], answers["band"], answers["summary"]) == (4, "older", "older (40s)")
