"""Waves in the staff workspace: each role's limits, opening a wave, its links, the
fieldwork buttons, and refusals shown on the page with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from lxml import html  # type: ignore[import-untyped]

from respondents.models import Invitation, Wave, WaveState
from respondents.services.waves import ERROR_VERSION_NOT_PUBLISHED
from tests.builders import build_version, make_study
from tests.respondents.fieldwork import (
    CHOICES,
    PAGES,
    add_response,
    make_fieldwork_study,
    make_member,
    make_wave,
)
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db
SITE = "https://panel.example.org"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def fieldwork():
    study, version = make_fieldwork_study()
    return study, version


@pytest.fixture
def team(fieldwork):
    return make_team(fieldwork[0], make_study("other"))


def _page(reply: Any) -> Any:
    return html.fromstring(reply.content.decode())


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def _as(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _messages(reply: Any) -> list[str]:
    return [str(message) for message in reply.context["messages"]]


def test_outsider_gets_404_for_every_wave_page(fieldwork, team):
    study, version = fieldwork
    wave = make_wave(study, version, "w1")
    client = _as(team.outsider)
    base = f"/workspace/{study.slug}/waves/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}new/").status_code == 404
    assert client.get(f"{base}{wave.pk}/").status_code == 404
    assert client.post(f"{base}{wave.pk}/close/").status_code == 404
    assert Wave.objects.get(pk=wave.pk).state == WaveState.OPEN


def test_a_wave_of_another_study_is_404_under_this_study(fieldwork, team):
    other_study, other_version = make_fieldwork_study("other-panel")
    foreign = make_wave(other_study, other_version, "theirs")
    client = _as(team.owner)
    assert client.get(f"/workspace/{fieldwork[0].slug}/waves/{foreign.pk}/").status_code == 404
    reply = client.post(f"/workspace/{fieldwork[0].slug}/waves/{foreign.pk}/close/")
    assert reply.status_code == 404
    assert Wave.objects.get(pk=foreign.pk).state == WaveState.OPEN


def test_every_role_sees_the_waves_with_their_counts(fieldwork, team):
    # given
    study, version = fieldwork
    wave = make_wave(study, version, "w1")
    add_response(wave)
    add_response(wave, status="in_progress")
    # when
    reply = _as(team.viewer).get(f"/workspace/{study.slug}/waves/")
    # then
    assert reply.status_code == 200
    card = _page(reply).xpath("//li[@data-wave='w1']")[0]
    assert _text(card.xpath(".//*[@class='completes']")[0]) == "1 complete"
    assert _text(card.xpath(".//*[@class='partials']")[0]) == "1 partial"
    assert "Open a new wave" not in reply.content.decode()


@pytest.mark.parametrize("persona", ["viewer", "researcher"])
def test_roles_without_fieldwork_cannot_open_or_close_waves(fieldwork, team, persona):
    study, version = fieldwork
    wave = make_wave(study, version, "w1")
    client = _as(getattr(team, persona))
    assert client.get(f"/workspace/{study.slug}/waves/new/").status_code == 403
    reply = client.post(
        f"/workspace/{study.slug}/waves/new/", {"name": "w2", "version": version.pk}
    )
    assert reply.status_code == 403
    assert client.post(f"/workspace/{study.slug}/waves/{wave.pk}/close/").status_code == 403
    assert client.post(f"/workspace/{study.slug}/waves/{wave.pk}/invite/").status_code == 403
    assert list(Wave.objects.values_list("name", "state")) == [("w1", WaveState.OPEN)]


def test_manager_opens_a_wave_and_reads_its_links(fieldwork, team):
    # given
    study, version = fieldwork
    client = _as(team.manager)
    # when
    reply = client.post(
        f"/workspace/{study.slug}/waves/new/",
        {
            "name": "Spring 2026",
            "version": version.pk,
            "channels": "tg_news, email",
            "closes_at": "2099-05-01T12:00",
            "open_now": "on",
        },
        follow=True,
    )
    # then
    wave = Wave.objects.get()
    assert (wave.name, wave.state, wave.channels) == ("Spring 2026", "open", ["email", "tg_news"])
    assert wave.closes_at is not None
    assert wave.closes_at.isoformat() == "2099-05-01T12:00:00+00:00"
    assert reply.redirect_chain[-1][0] == f"/workspace/{study.slug}/waves/{wave.pk}/"
    assert _messages(reply) == ["Wave Spring 2026 is open: share its links."]
    links = {
        field.get("data-channel"): field.get("value")
        for field in _page(reply).xpath("//ul[@id='wave-links']//input")
    }
    assert links == {
        "": f"{SITE}/s/{wave.slug}/",
        "email": f"{SITE}/s/{wave.slug}/?src=email",
        "tg_news": f"{SITE}/s/{wave.slug}/?src=tg_news",
    }
    buttons = _page(reply).xpath("//div[@id='wave-actions']//button/@value")
    assert buttons == ["invite", "remind", "close"]


def test_a_wave_on_a_draft_version_is_refused_on_the_page(fieldwork, team):
    study, _version = fieldwork
    draft = build_version(study, PAGES, choices=CHOICES, publish=False)
    reply = _as(team.owner).post(
        f"/workspace/{study.slug}/waves/new/",
        {"name": "w1", "version": draft.pk, "open_now": "on"},
    )
    assert reply.status_code == 400
    refusal = _text(_page(reply).get_element_by_id("refusal"))
    assert refusal == ERROR_VERSION_NOT_PUBLISHED.format(version=draft.pk)
    assert not Wave.objects.exists()


def test_a_bad_channel_name_is_refused_on_the_page(fieldwork, team):
    study, version = fieldwork
    reply = _as(team.owner).post(
        f"/workspace/{study.slug}/waves/new/",
        {"name": "w1", "version": version.pk, "channels": "Telegram!"},
    )
    assert reply.status_code == 400
    assert "Channel 'Telegram!' must be" in _text(_page(reply).get_element_by_id("refusal"))
    assert not Wave.objects.exists()


def test_a_version_of_another_study_cannot_be_chosen(fieldwork, team):
    study, _version = fieldwork
    _other, foreign_version = make_fieldwork_study("other-panel")
    reply = _as(team.owner).post(
        f"/workspace/{study.slug}/waves/new/", {"name": "w1", "version": foreign_version.pk}
    )
    assert reply.status_code == 400
    assert reply.context["form"].errors["version"]
    assert not Wave.objects.exists()


def test_a_draft_wave_opens_then_closes_then_reopens(fieldwork, team):
    # given
    study, version = fieldwork
    client = _as(team.manager)
    client.post(f"/workspace/{study.slug}/waves/new/", {"name": "w1", "version": version.pk})
    wave = Wave.objects.get()
    assert wave.state == WaveState.DRAFT
    base = f"/workspace/{study.slug}/waves/{wave.pk}/"
    # when, then
    for step, state in [("open", "open"), ("close", "closed"), ("reopen", "open")]:
        reply = client.post(f"{base}{step}/", follow=True)
        assert Wave.objects.get(pk=wave.pk).state == state
        assert _text(_page(reply).get_element_by_id("wave-state")) == state.capitalize()


def test_a_step_the_wave_cannot_take_says_why_and_changes_nothing(fieldwork, team):
    study, version = fieldwork
    wave = make_wave(study, version, "w1")
    reply = _as(team.manager).post(f"/workspace/{study.slug}/waves/{wave.pk}/reopen/", follow=True)
    assert _messages(reply) == [f"Wave {wave.pk} cannot go from open to open."]
    assert Wave.objects.get(pk=wave.pk).state == WaveState.OPEN


def test_a_step_by_get_is_not_allowed(fieldwork, team):
    study, version = fieldwork
    wave = make_wave(study, version, "w1")
    assert (
        _as(team.manager).get(f"/workspace/{study.slug}/waves/{wave.pk}/close/").status_code == 405
    )


def test_manager_invites_the_panel_and_mails_go_out(
    fieldwork, team, django_capture_on_commit_callbacks
):
    # given
    study, version = fieldwork
    wave = make_wave(study, version, "w1")
    make_member(study, email="a@example.org")
    make_member(study, email="b@example.org")
    make_member(study)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        reply = _as(team.manager).post(
            f"/workspace/{study.slug}/waves/{wave.pk}/invite/", follow=True
        )
    # then
    assert Invitation.objects.filter(wave=wave, sent_at__isnull=False).count() == 2
    assert len(mail.outbox) == 2
    assert _messages(reply)[0].startswith("2 panel members invited: 2 e-mails queued")
    assert "1 without a contact" in _messages(reply)[0]


def test_inviting_to_a_closed_wave_is_refused(fieldwork, team):
    study, version = fieldwork
    wave = make_wave(study, version, "w1")
    make_member(study, email="a@example.org")
    client = _as(team.manager)
    client.post(f"/workspace/{study.slug}/waves/{wave.pk}/close/", follow=True)
    reply = client.post(f"/workspace/{study.slug}/waves/{wave.pk}/invite/", follow=True)
    assert _messages(reply) == [
        f"Wave {wave.pk} is not open for responses; open it before inviting."
    ]
    assert not Invitation.objects.exists()


def test_the_pages_speak_russian(fieldwork, team):
    study, version = fieldwork
    make_wave(study, version, "w1")
    client = _as(team.manager)
    client.cookies["django_language"] = "ru"
    reply = client.get(f"/workspace/{study.slug}/waves/")
    assert "Открыть новую волну" in reply.content.decode()


def _staff_with_wave_perms(user: Any) -> Any:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    codenames = ["view_wave", "add_wave", "change_wave"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_admin_add_wave_leads_to_the_workspace_form(fieldwork, team):
    client = _as(_staff_with_wave_perms(team.manager))
    reply = client.get("/admin/respondents/wave/add/")
    assert reply.status_code == 302
    assert reply["Location"] == f"/workspace/{fieldwork[0].slug}/waves/new/"
    assert (
        'href="/admin/respondents/wave/add/"'
        in client.get("/admin/respondents/wave/").content.decode()
    )


def test_admin_add_wave_lets_a_superuser_choose_the_study(fieldwork, team):
    admin = get_user_model().objects.create_superuser("root", password="pw-root")
    reply = _as(admin).get("/admin/respondents/wave/add/")
    assert reply.status_code == 200
    links = _page(reply).xpath("//ul[@id='wave-studies']//a/@href")
    assert links == ["/workspace/other/waves/new/", "/workspace/panel/waves/new/"]


def test_admin_add_wave_stays_closed_to_roles_that_cannot_open_waves(fieldwork, team):
    client = _as(_staff_with_wave_perms(team.researcher))
    assert client.get("/admin/respondents/wave/add/").status_code == 403


def test_a_manager_who_has_not_passed_the_second_factor_is_held_there(fieldwork, team):
    client = Client()
    client.force_login(team.manager)
    reply = client.post(
        f"/workspace/{fieldwork[0].slug}/waves/new/", {"name": "w1", "version": fieldwork[1].pk}
    )
    assert reply.status_code == 302
    assert reply["Location"].startswith("/accounts/two-factor/")
    assert not Wave.objects.exists()


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(fieldwork):
    reply = Client().get(f"/workspace/{fieldwork[0].slug}/waves/")
    assert reply.status_code == 302
    assert reply["Location"].startswith("/accounts/login/")
