"""Fieldwork over the API, with personas: a fieldwork manager on the study, a researcher
on the study (read only), and an outsider."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from respondents.models import MemberStatus, Wave, WaveState
from surveys.models import Study, StudyMembership, StudyRole
from tests.builders import make_user
from tests.respondents.fieldwork import add_response, make_fieldwork_study, make_member, make_wave

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def fieldwork():
    study, version = make_fieldwork_study()
    wave = make_wave(study, version, "w1")
    member = make_member(study, email="anna@example.org", telegram="anna_tg_1")
    add_response(wave, member=member, channel="tg")
    return study, version, wave, member


def client_for(study: Study, role: str | None) -> APIClient:
    user = make_user(f"user-{role}")
    if role:
        StudyMembership.objects.create(study=study, user=user, role=role)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_researcher_reads_waves_and_figures(fieldwork):
    study, _version, wave, _member = fieldwork
    client = client_for(study, StudyRole.RESEARCHER)

    waves = client.get(f"{API}/waves/").json()["results"]
    figures = client.get(f"{API}/waves/{wave.pk}/figures/").json()

    assert [(w["name"], w["state"], w["study"]) for w in waves] == [("w1", "open", "panel")]
    assert waves[0]["open_link"].endswith(f"/s/{wave.slug}/")
    assert (figures["completes"], figures["partials"]) == (1, 0)
    assert figures["by_channel"] == [{"key": "tg", "completes": 1, "partials": 0}]
    assert figures["median_duration_seconds"] == 300.0


def test_panel_members_list_shows_no_contact_data(fieldwork):
    study, _version, _wave, member = fieldwork
    # the fieldwork manager, who sees contacts elsewhere: never in this list
    client = client_for(study, StudyRole.FIELDWORK_MANAGER)

    reply = client.get(f"{API}/panel-members/?study=panel")

    assert reply.status_code == 200
    assert reply.json()["results"] == [
        {
            "pseudonym": member.pseudonym,
            "study": "panel",
            "status": "active",
            "recruited_in": None,
            "created_at": reply.json()["results"][0]["created_at"],
            "withdrawn_at": None,
        }
    ]
    assert "anna" not in reply.content.decode()


def test_manager_opens_a_wave_invites_the_panel_and_reads_the_counts(
    fieldwork, django_capture_on_commit_callbacks
):
    study, version, _wave, _member = fieldwork
    client = client_for(study, StudyRole.FIELDWORK_MANAGER)

    opened = client.post(
        f"{API}/waves/",
        {"study": "panel", "version": version.pk, "name": "w2", "channels": ["tg"]},
        format="json",
    )
    wave_id = opened.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(f"{API}/waves/{wave_id}/invitations/", {}, format="json")
    counts = client.get(f"{API}/waves/{wave_id}/invitations/").json()

    assert opened.status_code == 201
    assert invited.status_code == 202
    assert invited.json()["created"] == 1
    assert len(mail.outbox) == 1
    assert counts == {
        "invitations": 1,
        "sent": 1,
        "opened": 0,
        "started": 0,
        "completed": 0,
        "reminded": 0,
    }


def test_manager_closes_a_wave_and_an_illegal_transition_is_refused(fieldwork):
    study, _version, wave, _member = fieldwork
    client = client_for(study, StudyRole.FIELDWORK_MANAGER)

    closed = client.post(f"{API}/waves/{wave.pk}/state/", {"state": "closed"}, format="json")
    back_to_draft = client.post(f"{API}/waves/{wave.pk}/state/", {"state": "draft"})

    assert closed.json()["state"] == "closed"
    assert back_to_draft.status_code == 400
    assert Wave.objects.get(pk=wave.pk).state == WaveState.CLOSED


@pytest.mark.parametrize(
    ("_case", "method", "path", "body"),
    [
        ("invite", "post", "/waves/{wave}/invitations/", {}),
        ("close", "post", "/waves/{wave}/state/", {"state": "closed"}),
        ("withdraw", "post", "/panel-members/{pseudonym}/withdraw/", {}),
    ],
)
def test_researcher_cannot_run_fieldwork(fieldwork, _case, method, path, body: dict[str, Any]):
    study, _version, wave, member = fieldwork
    client = client_for(study, StudyRole.RESEARCHER)

    url = API + path.format(wave=wave.pk, pseudonym=member.pseudonym)
    reply = getattr(client, method)(url, body, format="json")

    assert reply.status_code == 403
    assert Wave.objects.get(pk=wave.pk).state == WaveState.OPEN
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


def test_outsider_sees_nothing(fieldwork):
    study, _version, wave, _member = fieldwork
    client = client_for(study, None)

    assert client.get(f"{API}/waves/").json()["results"] == []
    assert client.get(f"{API}/panel-members/").json()["results"] == []
    assert client.get(f"{API}/waves/{wave.pk}/figures/").status_code == 404


def test_manager_withdraws_a_member(fieldwork):
    study, _version, _wave, member = fieldwork
    client = client_for(study, StudyRole.OWNER)

    reply = client.post(f"{API}/panel-members/{member.pseudonym}/withdraw/")

    assert reply.json()["status"] == "withdrawn"
    member.refresh_from_db()
    assert member.status == MemberStatus.WITHDRAWN


def test_the_schema_of_an_invite_run_names_every_key_the_endpoint_returns(
    fieldwork, django_capture_on_commit_callbacks
):
    study, _version, wave, _member = fieldwork
    client = client_for(study, StudyRole.FIELDWORK_MANAGER)

    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(f"{API}/waves/{wave.pk}/invitations/", {}, format="json")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    documented = schema["components"]["schemas"]["InvitationRun"]["properties"]
    assert set(documented) == set(invited.json())
