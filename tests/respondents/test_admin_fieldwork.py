"""Fieldwork admin: counts and figures on waves, actions that call services, and no
contact, token or answer in any list."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from respondents.models import Invitation, MemberStatus
from respondents.tokens import issue_invitation
from tests.respondents.fieldwork import add_response, make_fieldwork_study, make_member, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_():
    user = get_user_model().objects.create_superuser("boss", password="pw-boss-long-enough")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def fieldwork():
    study, version = make_fieldwork_study()
    wave = make_wave(study, version, "w1")
    member = make_member(study, email="anna@example.org", telegram="anna_tg_1")
    add_response(wave, member=member, answers={"age": 41, "tg_detail": "secret words"})
    return wave, member


def test_wave_list_shows_counts_and_the_change_page_the_figures(admin_client_, fieldwork):
    wave, _member = fieldwork

    listing = admin_client_.get("/admin/respondents/wave/").content.decode()
    page = admin_client_.get(f"/admin/respondents/wave/{wave.pk}/change/").content.decode()

    assert '<td class="field-completes">1</td>' in listing
    assert '<td class="field-invited">0</td>' in listing
    assert "1 completes, 0 partials" in page
    assert "median duration of completes 5.0 min" in page
    assert wave.fingerprint_key not in page


def test_lists_show_no_contact_token_or_answer(admin_client_, fieldwork):
    wave, member = fieldwork
    invitation, token = issue_invitation(member, wave)

    pages = [
        admin_client_.get(url).content.decode()
        for url in (
            "/admin/respondents/panelmember/",
            f"/admin/respondents/panelmember/{member.pk}/change/",
            "/admin/respondents/invitation/",
            f"/admin/respondents/invitation/{invitation.pk}/change/",
            "/admin/respondents/response/",
        )
    ]

    assert member.pseudonym in pages[0]
    for page in pages:
        assert "anna" not in page
        assert token not in page
        assert invitation.token_hash not in page
        assert "secret words" not in page


def test_invite_action_calls_the_service(
    admin_client_, fieldwork, django_capture_on_commit_callbacks
):
    wave, _member = fieldwork
    newcomer = make_member(wave.study, email="boris@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        reply = admin_client_.post(
            "/admin/respondents/wave/",
            {"action": "invite_panel_action", "_selected_action": [wave.pk]},
            follow=True,
        )

    assert reply.status_code == 200
    # the member who already answered this wave is not invited
    assert list(Invitation.objects.values_list("member", flat=True)) == [newcomer.pk]
    assert [message.to for message in mail.outbox] == [["boris@example.org"]]


def test_withdraw_action_withdraws_the_member(admin_client_, fieldwork):
    _wave, member = fieldwork

    admin_client_.post(
        "/admin/respondents/panelmember/",
        {"action": "withdraw_action", "_selected_action": [member.pk]},
    )

    member.refresh_from_db()
    assert member.status == MemberStatus.WITHDRAWN
