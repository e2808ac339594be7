"""Accounts: sign-in rate limiting without IP addresses, the second factor, sessions."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.cache import cache
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.accounts.tokens import ERROR_SECOND_FACTOR_MISSING, create_api_token
from config.accounts.twofactor import BACKUP_CODE_COUNT, ERROR_WRONG_CODE
from surveys.access import AccessError
from surveys.models import StudyMembership, StudyRole
from tests.builders import make_study, make_user
from tests.surveys.personas import make_team

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"


@pytest.fixture
def team():
    return make_team(make_study("alpha"), make_study("beta"))


def _login(client, username: str, password: str):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=IP
    )


def test_researcher_signs_in_and_lands_on_the_dashboard(client, team):
    reply = _login(client, "rita", "pw-rita")
    assert (reply.status_code, reply["Location"]) == (302, "/workspace/")
    assert client.get("/dashboard/").status_code == 200


def test_too_many_failures_lock_the_username_and_no_ip_is_kept(client, team):
    # given
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "rita", "wrong").status_code == 200
    # when
    locked = _login(client, "rita", "wrong")
    after = _login(client, "rita", "pw-rita")
    # then
    assert locked.status_code == 429
    assert b"Too many attempts" in locked.content
    assert after.status_code == 429
    assert AccessAttempt.objects.count() == AccessLog.objects.count() == 0
    assert AccessFailureLog.objects.count() == 0
    assert IP not in _everything_cached()


def _everything_cached() -> str:
    store = getattr(cache, "_cache")  # noqa: B009 (private on both cache backends)
    if hasattr(store, "get_client"):  # Redis
        client = store.get_client(None, write=False)
        return " ".join(str(client.dump(key)) + str(key) for key in client.keys("*"))
    return " ".join(f"{key}{value}" for key, value in store.items())


def test_a_lockout_is_per_username(client, team):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "rita", "wrong")
    assert _login(client, "vera", "pw-vera").status_code == 302


def test_owner_enrols_an_authenticator_and_gets_backup_codes(client, team):
    # given: signed in, but held at the second factor
    _login(client, "olga", "pw-olga")
    held = client.get("/dashboard/")
    assert held["Location"].startswith("/accounts/two-factor/")
    assert client.get("/accounts/two-factor/")["Location"].startswith("/accounts/two-factor/enrol/")
    page = client.get("/accounts/two-factor/enrol/")
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=team.owner, confirmed=False)
    # when
    right = client.post("/accounts/two-factor/enrol/", {"token": f"{totp(device.bin_key):06d}"})
    # then
    assert right.status_code == 200
    assert StaticToken.objects.filter(device__user=team.owner).count() == BACKUP_CODE_COUNT
    assert client.get("/dashboard/").status_code == 200


def test_a_backup_code_passes_the_second_factor_once(client, team):
    # given an enrolled manager with a fresh session
    TOTPDevice.objects.create(user=team.manager, name="authenticator", confirmed=True)
    from config.accounts.twofactor import regenerate_backup_codes

    code = regenerate_backup_codes(team.manager)[0]
    _login(client, "farid", "pw-farid")
    assert client.get("/dashboard/").status_code == 302
    # when
    reply = client.post("/accounts/two-factor/?next=/dashboard/", {"token": code})
    # then
    assert (reply.status_code, reply["Location"]) == (302, "/dashboard/")
    assert client.get("/dashboard/").status_code == 200
    assert not StaticToken.objects.filter(token=code).exists()


def test_the_session_api_refuses_an_unverified_manager_with_json(client, team):
    _login(client, "farid", "pw-farid")
    reply = client.get("/api/v1/waves/")
    assert reply.status_code == 403
    assert reply.json()["field"] is None
    assert "two-factor" in reply.json()["detail"]


def test_superuser_needs_no_second_factor_in_debug_mode_by_default(client, settings):
    settings.PANELWAVE_SUPERUSER_2FA = False
    make_user("root", is_superuser=True, is_staff=True)
    _login(client, "root", "pw-root")
    assert client.get("/dashboard/").status_code == 200


def test_sessions_expire(client, team):
    _login(client, "rita", "pw-rita")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600


def test_a_wrong_code_does_not_confirm_the_authenticator(client, team):
    _login(client, "olga", "pw-olga")
    client.get("/accounts/two-factor/enrol/")
    reply = client.post("/accounts/two-factor/enrol/", {"token": "000000"})
    assert ERROR_WRONG_CODE in reply.content.decode()
    assert not TOTPDevice.objects.filter(user=team.owner, confirmed=True).exists()
    assert client.get("/dashboard/").status_code == 302


def test_a_manager_without_an_authenticator_gets_no_api_token(team):
    with pytest.raises(AccessError, match="must enrol an authenticator"):
        create_api_token("farid")
    assert not Token.objects.filter(user=team.manager).exists()


def test_a_researcher_needs_no_authenticator_for_a_token(team):
    token = create_api_token("rita")
    reply = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/waves/")
    assert reply.status_code == 200


def test_a_token_of_a_manager_who_lost_his_authenticator_is_refused(team):
    # given Farid, enrolled, with a token that works
    TOTPDevice.objects.create(user=team.manager, name="authenticator", confirmed=True)
    token = create_api_token("farid")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/waves/").status_code == 200
    # when his authenticator is removed
    TOTPDevice.objects.filter(user=team.manager).delete()
    # then the token no longer authenticates him, and he cannot invite the panel with it
    reply = client.get("/api/v1/waves/")
    assert reply.status_code == 401
    assert reply.json() == {"detail": ERROR_SECOND_FACTOR_MISSING, "field": None}


def test_a_researcher_promoted_to_a_contact_role_needs_an_authenticator_for_her_token(team):
    token = create_api_token("rita")
    StudyMembership.objects.filter(user=team.researcher).update(role=StudyRole.OWNER)
    reply = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/waves/")
    assert reply.status_code == 401
