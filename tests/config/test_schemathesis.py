"""Schemathesis against our OpenAPI schema: generated requests never cause a server error.

Bounded: a few examples per operation, the explicit and generate phases only, and no
per-example deadline (timed assertions are forbidden; pytest-timeout caps the run).
Requests go through the WSGI app in-process, as a superuser with an API token, against a
small three-wave study, so generated IDs sometimes hit real rows.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings

from config.accounts.tokens import create_api_token
from config.wsgi import application
from tests.builders import make_user
from tests.respondents.three_waves import build_three_wave_study

# The schema as /api/schema/ serves it (drf-spectacular's generator; no database needed).
_generator = SchemaGenerator()  # type: ignore[no-untyped-call]
schema = schemathesis.openapi.from_dict(_generator.get_schema(request=None, public=True))  # type: ignore[no-untyped-call]
schema.app = application


@pytest.fixture
def token(db):
    build_three_wave_study("fuzz")
    fuzzer = make_user("fuzzer", is_superuser=True, is_staff=True)
    # Enrolled, so the token holds wherever superusers must use two factors.
    TOTPDevice.objects.create(user=fuzzer, name="authenticator", confirmed=True)
    # As Django's test client does: a request must not close the test's connection (the
    # test runs in one transaction, rolled back at the end).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield create_api_token("fuzzer", rotate=True)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_cause_no_server_error(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
