"""The REST API's shared parts: JSON errors, roles through tokens, schema and docs."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import exceptions
from rest_framework.test import APIClient

from config.accounts.tokens import create_api_token
from config.api import exception_handler
from config.inputerrors import InputError
from respondents.models import Wave, WaveState
from respondents.services.waves import ERROR_NAME_TAKEN
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
            "a service's refusal naming its input",
            InputError("A wave needs a name.", field="name"),
            400,
            {
                "detail": "A wave needs a name.",
                "field": "name",
                "errors": {"name": ["A wave needs a name."]},
            },
        ),
        (
            "a service's refusal of no single input",
            InputError("wave 9: no such wave"),
            400,
            {"detail": "wave 9: no such wave", "field": None},
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


def test_a_refusal_naming_its_input_reads_as_its_message_in_a_command():
    assert str(InputError("A wave needs a name.", field="name")) == "A wave needs a name."


def test_unexpected_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


@pytest.fixture
def panel(db):
    return build_three_wave_study("panel")


@pytest.fixture
def team(panel):
    return make_team(panel.study, make_study("other"))


def token_client(user) -> APIClient:
    # Roles that see contacts get a token only with an enrolled authenticator.
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
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


def test_an_unknown_api_path_answers_json_404(db):
    reply = APIClient().get(f"{API}/no-such-thing/")
    assert reply.status_code == 404
    assert reply.json() == {"detail": "Not found.", "field": None}
    # without its slash, first redirected as the real endpoints are
    assert APIClient().get(f"{API}/no-such-thing")["Location"] == f"{API}/no-such-thing/"


def test_a_known_api_path_without_its_slash_is_still_redirected(db):
    reply = APIClient().get(f"{API}/waves")
    assert (reply.status_code, reply["Location"]) == (301, f"{API}/waves/")


def test_a_duplicate_wave_name_is_refused_naming_the_name(panel, team):
    reply = token_client(team.manager).post(
        f"{API}/waves/",
        {"study": "panel", "version": panel.version.pk, "name": "Wave 1"},
        format="json",
    )
    assert reply.status_code == 400
    assert reply.json()["field"] == "name"
    assert reply.json()["detail"] == ERROR_NAME_TAKEN.format(study="panel", name="Wave 1")


def test_an_illegal_state_change_is_refused_naming_the_state(panel, team):
    reply = token_client(team.manager).post(
        f"{API}/waves/{panel.waves[2].pk}/state/", {"state": "draft"}, format="json"
    )
    assert reply.status_code == 400
    assert reply.json()["field"] == "state"


@pytest.mark.parametrize(
    ("_case", "path", "field"),
    [
        ("wave state", "/waves/?state=bogus", "state"),
        ("member status", "/panel-members/?status=bogus", "status"),
        ("recruiting wave", "/panel-members/?recruited_in=x", "recruited_in"),
        ("rule", "/waves/{w}/flags/?rule=bogus", "rule"),
    ],
)
def test_a_bad_filter_value_is_refused_naming_the_parameter(panel, team, _case, path, field):
    reply = token_client(team.owner).get(API + path.format(w=panel.waves[0].pk))
    assert reply.status_code == 400
    assert reply.json()["field"] == field


def test_filters_narrow_the_lists(panel, team):
    client = token_client(team.owner)
    assert client.get(f"{API}/waves/?study=other").json()["count"] == 0
    assert client.get(f"{API}/waves/?study=panel&state=closed").json()["count"] == 2
    withdrawn = client.get(f"{API}/panel-members/?status=withdrawn").json()
    assert withdrawn["count"] == 0
    assert client.get(f"{API}/panel-members/?status=active").json()["count"] == 10
    assert client.get(f"{API}/waves/{panel.waves[0].pk}/flags/?rule=speeder").status_code == 200


def test_the_filters_are_in_the_schema(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    def params(path: str) -> set[str]:
        return {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}

    assert {"study", "state", "page"} <= params("/api/v1/waves/")
    assert {"study", "status", "recruited_in"} <= params("/api/v1/panel-members/")
    assert "rule" in params("/api/v1/waves/{wave_id}/flags/")


@pytest.mark.parametrize("persona", PERSONAS)
def test_panel_members_are_listed_to_owners_and_managers_only(panel, team, persona):
    reply = token_client(getattr(team, persona)).get(f"{API}/panel-members/")
    assert reply.status_code == 200
    expected = 10 if persona in ("owner", "manager") else 0
    assert (persona, reply.json()["count"]) == (persona, expected)
