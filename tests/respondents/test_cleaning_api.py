"""Cleaning over the API, with personas: a researcher on the study, a viewer, an outsider."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from respondents.cleaning.service import clean_wave
from respondents.models import CleaningRun, FlagOverride, QualityFlag
from surveys.models import StudyMembership, StudyRole
from tests.builders import make_user
from tests.respondents.cleaning_wave import build_cleaning_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted():
    wave = build_cleaning_wave()
    clean_wave(wave.wave.pk)
    return wave


def client_for(planted, role: str | None) -> APIClient:
    user = make_user(f"user-{role}")
    if role:
        StudyMembership.objects.create(study=planted.wave.study, user=user, role=role)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_researcher_reads_the_cleaning_summary(planted):
    client = client_for(planted, StudyRole.RESEARCHER)

    reply = client.get(f"/api/v1/waves/{planted.wave.pk}/cleaning/")

    assert reply.status_code == 200
    assert reply.json()["responses"] == 48
    assert reply.json()["per_rule"]["speeder:rsi"] == 1
    assert reply.json()["per_channel"]["media"]["responses"] == 20


def test_flags_list_filters_by_rule_family(planted):
    client = client_for(planted, StudyRole.RESEARCHER)

    reply = client.get(f"/api/v1/waves/{planted.wave.pk}/flags/?rule=duplicate")

    assert reply.status_code == 200
    rules = {row["rule"] for row in reply.json()["results"]}
    assert rules == {"duplicate:person", "duplicate:exact"}


def test_outsider_is_refused_and_sees_no_counts(planted):
    client = client_for(planted, None)

    reply = client.get(f"/api/v1/waves/{planted.wave.pk}/cleaning/")

    assert reply.status_code == 404
    assert "responses" not in reply.json()


def test_researcher_starts_a_run_after_commit(planted, django_capture_on_commit_callbacks):
    client = client_for(planted, StudyRole.RESEARCHER)

    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(f"/api/v1/waves/{planted.wave.pk}/cleaning/runs/", {}, format="json")

    assert reply.status_code == 202
    assert CleaningRun.objects.filter(wave=planted.wave).count() == 2


def test_viewer_cannot_override_and_nothing_changes(planted):
    client = client_for(planted, StudyRole.VIEWER)

    reply = client.post(
        "/api/v1/flags/overrides/",
        {"response": planted.ids["bot"], "rule": "bot", "reason": "x"},
        format="json",
    )

    assert reply.status_code == 403
    assert not FlagOverride.objects.exists()


def test_researcher_overrides_a_flag(planted):
    client = client_for(planted, StudyRole.RESEARCHER)

    reply = client.post(
        "/api/v1/flags/overrides/",
        {"response": planted.ids["bot"], "rule": "bot", "reason": "password manager"},
        format="json",
    )

    assert reply.status_code == 201
    override = FlagOverride.objects.get()
    assert override.decided_by is not None
    assert override.decided_by.username == "user-researcher"
    assert not QualityFlag.objects.filter(
        response_id=planted.ids["bot"], rule__startswith="bot"
    ).exists()


def test_override_with_an_unknown_rule_is_a_400_naming_it(planted):
    client = client_for(planted, StudyRole.RESEARCHER)

    reply = client.post(
        "/api/v1/flags/overrides/",
        {"response": planted.ids["bot"], "rule": "sloppy", "reason": "x"},
        format="json",
    )

    assert reply.status_code == 400
    assert "rule 'sloppy'" in reply.json()["detail"]


@pytest.mark.parametrize(
    ("_case", "overrides", "message"),
    [
        ("unknown key", {"speed": 2}, "unknown key 'speed'"),
        ("bad value", {"speeder_rsi_threshold": "fast"}, "'speeder_rsi_threshold' must be"),
    ],
)
def test_a_bad_config_override_is_a_400_naming_it_and_nothing_is_queued(
    planted, django_capture_on_commit_callbacks, _case, overrides, message
):
    client = client_for(planted, StudyRole.RESEARCHER)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reply = client.post(
            f"/api/v1/waves/{planted.wave.pk}/cleaning/runs/",
            {"config_overrides": overrides},
            format="json",
        )

    assert reply.status_code == 400
    assert reply.json()["field"] == "config_overrides"
    assert message in reply.json()["detail"]
    assert callbacks == []
    assert CleaningRun.objects.filter(wave=planted.wave).count() == 1
