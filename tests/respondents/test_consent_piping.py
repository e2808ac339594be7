"""`${item}` in the study's consent text: at consent nothing is answered, so an item shows
what the form's calculations give before any answer (nothing for an item only a
respondent can answer), escaped like the rest of the text."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.builders import make_study
from tests.surveys.forms import write_form

pytestmark = pytest.mark.django_db

SURVEY = [
    ["type", "name", "label", "calculation"],
    ["calculate", "round_no", "", "3"],
    ["calculate", "sign", "", "concat('<b>', 'Team')"],
    ["text", "city", "Where do you live?", ""],
]


def test_the_consent_text_pipes_what_is_known_and_escapes_it(tmp_path: Path) -> None:
    # given
    study = make_study("consent", languages=("en",))
    study.consent_text = {
        "en": "Round ${round_no} of our panel. You live in ${city}?\nSigned: ${sign}"
    }
    study.save(update_fields=["consent_text"])
    form = write_form(tmp_path / "f.xlsx", SURVEY, [["list_name", "name", "label"]])
    version = publish_version(import_questionnaire(form, study=study).version.pk)
    wave = open_wave(study, version, "w1")

    # when
    html = Client().get(f"/s/{wave.slug}/?lang=en").content.decode()

    # then
    text = html[html.index('class="consent"') :]
    assert "Round 3 of our panel. You live in ?" in text
    assert "Signed: &lt;b&gt;Team" in text
    assert "${" not in text
