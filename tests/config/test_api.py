"""The REST API's shared parts: JSON errors, roles through tokens, schema and docs."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.test import APIClient

from config.api import exception_handler
from respondents.models import Wave, WaveState
from surveys.accounts.tokens import create_api_token
from surveys.models import FROZEN_VERSION_MESSAGE, FrozenVersionError
from tests.builders import make_study
from tests.respondents.three_waves import build_three_wave_study
from tests.surveys.personas import make_team

API = "/api/v1"


@pytest.mark.parametrize(
    ("_case", "exc", "status", "body"),
    [
        (
            "serializer field",
            exceptions.ValidationError({"name": ["This field is required."]}),
            400,
            {
                "detail": "This field is required.",
                "field": "name",
                "errors": {"name": ["This field is required."]},
            },
        ),
        (
            "nested field",
            exceptions.ValidationError({"items": [{"share": ["Not a number."]}]}),
            400,
            {
                "detail": "Not a number.",
                "field": "items.0.share",
                "errors": {"items": [{"share": ["Not a number."]}]},
            },
        ),
        (
            "non-field",
            exceptions.ValidationError({"non_field_errors": ["Dates overlap."]}),
            400,
            {"detail": "Dates overlap.", "field": None},
        ),
        (
            "django validation with a field",
            DjangoValidationError({"closes_at": ["Must be after opening."]}),
            400,
            {
                "detail": "Must be after opening.",
                "field": "closes_at",
                "errors": {"closes_at": ["Must be after opening."]},
            },
        ),
        (
            "django validation without a field",
            DjangoValidationError("Wave 3 cannot go from closed to draft."),
            400,
            {"detail": "Wave 3 cannot go from closed to draft.", "field": None},
        ),
        (
            "frozen version",
            FrozenVersionError(7),
            409,
            {"detail": FROZEN_VERSION_MESSAGE.format(version_id=7), "field": None},
        ),
        ("permission", exceptions.PermissionDenied("No."), 403, {"detail": "No.", "field": None}),
        ("not found", exceptions.NotFound(), 404, {"detail": "Not found.", "field": None}),
    ],
)
def test_errors_leave_as_json_with_message_and_field(_case, exc, status, body):
    response = exception_handler(exc, {})
    assert response is not None
    assert (response.status_code, response.data) == (status, body)


def test_unexpected_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


@pytest.fixture
def panel(db):
    return build_three_wave_study("panel")


@pytest.fixture
def team(panel):
    return make_team(panel.study, make_study("other"))


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_api_token(user.username, rotate=True)}")
    return client


PERSONAS = ("owner", "manager", "researcher", "viewer", "outsider")


@pytest.mark.parametrize(
    ("_case", "method", "path", "expected"),
    [
        ("figures", "get", "/waves/{w}/figures/", (200, 200, 200, 200, 404)),
        ("cleaning summary", "get", "/waves/{w}/cleaning/", (200, 200, 200, 200, 404)),
        ("quality flags", "get", "/waves/{w}/flags/", (200, 200, 200, 403, 404)),
        ("close the wave", "post", "/waves/{w}/state/", (200, 200, 403, 403, 404)),
        ("run cleaning", "post", "/waves/{w}/cleaning/runs/", (202, 403, 202, 403, 404)),
    ],
)
def test_each_role_is_limited_through_the_api(
    panel, team, django_capture_on_commit_callbacks, _case, method, path, expected
):
    wave = panel.waves[2]
    url = API + path.format(w=wave.pk)
    body = {"state": "closed"} if "state" in path else {}
    for persona, status in zip(PERSONAS, expected, strict=True):
        with django_capture_on_commit_callbacks(execute=True):
            reply = getattr(token_client(getattr(team, persona)), method)(url, body, format="json")
        assert (persona, reply.status_code) == (persona, status), reply.json()
        if status >= 400:
            assert set(reply.json()) == {"detail", "field"}
        Wave.objects.filter(pk=wave.pk).update(state=WaveState.OPEN)


def test_a_refused_state_change_changes_nothing(panel, team):
    wave = panel.waves[2]
    reply = token_client(team.researcher).post(
        f"{API}/waves/{wave.pk}/state/", {"state": "closed"}, format="json"
    )
    assert reply.status_code == 403
    assert Wave.objects.get(pk=wave.pk).state == WaveState.OPEN


def test_lists_are_paginated_scoped_and_filtered_by_state(panel, team):
    mine = token_client(team.viewer).get(f"{API}/waves/").json()
    assert mine["count"] == 3
    assert set(mine) == {"count", "next", "previous", "results"}
    open_only = token_client(team.viewer).get(f"{API}/waves/?state=open").json()
    assert [w["name"] for w in open_only["results"]] == ["Wave 3"]
    assert token_client(team.outsider).get(f"{API}/waves/").json()["count"] == 0


def test_bad_input_names_the_field(panel, team):
    reply = token_client(team.manager).post(f"{API}/waves/", {"study": "panel"}, format="json")
    assert reply.status_code == 400
    assert reply.json()["field"] == "version"
    assert reply.json()["detail"] == "This field is required."


def test_anonymous_callers_get_401_json(db):
    reply = APIClient().get(f"{API}/waves/")
    assert reply.status_code == 401
    assert reply.json() == {
        "detail": "Authentication credentials were not provided.",
        "field": None,
    }


def test_schema_is_openapi_3_and_lists_the_v1_endpoints(db):
    reply = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = reply.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/waves/{wave_id}/figures/" in schema["paths"]


def test_docs_are_served_from_our_own_static_files_under_a_strict_script_policy(db):
    reply = APIClient().get("/api/docs/")
    assert reply.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', reply.content.decode())
    assert sources
    assert all(src.startswith("/") for src in sources), sources
    policy = reply["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy)
    assert script_src is not None
    assert "unsafe-inline" not in script_src.group(1)
    script = APIClient().get("/api/docs/?script=")
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content
