"""The open link's narrow wave lookup reads what the ORM reads."""

from __future__ import annotations

import pytest

from respondents.models import Wave
from respondents.wave_row import OPEN_LINK_STUDY_FIELDS, WAVE_FIELDS, wave_by_slug
from tests.respondents.form_helpers import make_wave

pytestmark = pytest.mark.django_db


def test_wave_by_slug_has_the_orms_values_and_its_study_and_version():
    # given an open wave with channels and a consent text
    wave = make_wave(channels=("tg", "vk"))
    wave.study.consent_text = {"en": "You agree."}
    wave.study.save(update_fields=["consent_text"])
    expected = Wave.objects.select_related("study", "version").get(pk=wave.pk)

    # when the open link looks it up by slug
    found = wave_by_slug(wave.slug)

    # then every selected column matches the ORM's, converted alike (JSON, datetimes),
    # with the study and version already attached
    assert found is not None
    assert {f: getattr(found, f) for f in WAVE_FIELDS} == {
        f: getattr(expected, f) for f in WAVE_FIELDS
    }
    study_fields = {f: getattr(found.study, f) for f in OPEN_LINK_STUDY_FIELDS}
    assert study_fields == {f: getattr(expected.study, f) for f in OPEN_LINK_STUDY_FIELDS}
    assert found.study.consent_text == {"en": "You agree."}
    assert (found.version.pk, found.version.published_at) == (
        expected.version.pk,
        expected.version.published_at,
    )
    # a column left out still reads, by a deferred query
    assert found.cleaning_config == expected.cleaning_config


def test_an_unknown_slug_is_none():
    make_wave()
    assert wave_by_slug("no-such-wave") is None
