"""Verified linking through Telegram: the deep link on the respondent's page, the bot's
webhook fed with recorded updates (no network), the button pressed by the account the
earlier member gave; nothing of Telegram kept."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from respondents.models import LinkHow, LinkStatus, Response, ResponseLink
from respondents.services.panel_signup import join_panel
from respondents.tokens import issue_resume_token
from tests.respondents.fieldwork import START, add_response, make_fieldwork_study, make_wave

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SECRET = "a-webhook-secret-of-our-own"
USER_ID = "5012345678"


@pytest.fixture(autouse=True)
def bot(settings):
    settings.TELEGRAM_BOT_USERNAME = "survey_verify_bot"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


@pytest.fixture
def panel():
    """Wave 1: Anna joined the panel with her Telegram username. Wave 2: an open-link
    response, being answered, not linked to anyone."""
    study, version = make_fieldwork_study("tg")
    first = make_wave(study, version, "Wave 1")
    second = make_wave(study, version, "Wave 2")
    second.opens_at = (first.opens_at or START) + timedelta(days=180)
    second.save(update_fields=["opens_at"])
    earlier = add_response(first)
    anna = join_panel(earlier.pk, telegram="@anna_k_2022")
    later = add_response(second, status="in_progress", started_at=START + timedelta(days=181))
    return anna, earlier, later


def _update(name: str, **fill: str) -> dict[str, Any]:
    text = (DATA / f"telegram_{name}.json").read_text()
    for placeholder, value in fill.items():
        text = text.replace(placeholder, value)
    update: dict[str, Any] = json.loads(text)
    return update


def _post(update: dict[str, Any], secret: str = SECRET):
    return Client().post(
        "/telegram/webhook/",
        data=json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )


def _deep_link_nonce(response: Response) -> str:
    page = Client().get(f"/r/{issue_resume_token(response)}/before/").content.decode()
    found = re.search(r"https://t\.me/survey_verify_bot\?start=([A-Za-z0-9_-]+)", page)
    assert found, page
    return found.group(1)


def test_start_then_the_button_links_the_response_and_keeps_nothing_of_telegram(panel):
    anna, earlier, later = panel
    nonce = _deep_link_nonce(later)
    assert len(nonce) <= 64
    started = _post(_update("start", NONCE=nonce))
    assert started.status_code == 200
    reply = started.json()
    assert reply["method"] == "sendMessage"
    assert reply["chat_id"] == int(USER_ID)
    button = reply["reply_markup"]["inline_keyboard"][0][0]
    assert button["text"] == "Connect my answers"
    assert len(button["callback_data"].encode()) <= 64
    # Pressing Start alone links nothing.
    assert not ResponseLink.objects.exists()
    pressed = _post(_update("button", DATA=button["callback_data"]))
    assert pressed.json()["method"] == "answerCallbackQuery"
    assert "connected" in pressed.json()["text"]
    link = ResponseLink.objects.get(response=later)
    assert (link.status, link.how, link.earlier_response_id) == (
        LinkStatus.LINKED,
        LinkHow.VERIFIED,
        earlier.pk,
    )
    assert link.reason == "verified through Telegram"
    later.refresh_from_db()
    assert later.member_id == anna.pk
    # Nothing of the Telegram account is stored in the clear: not its id, not its username.
    dumped = _dump()
    assert USER_ID not in dumped
    assert "anna_k_2022" not in dumped.lower()
    # The page then says so, and offers nothing more.
    page = Client().get(f"/r/{issue_resume_token(later)}/before/").content.decode()
    assert "connected with your earlier ones" in page
    assert "t.me" not in page


def _dump() -> str:
    from io import StringIO

    out = StringIO()
    call_command("dumpdata", "respondents", stdout=out)
    return out.getvalue()


def test_a_button_pressed_by_another_account_links_nothing(panel):
    *_, later = panel
    reply = _post(_update("start", NONCE=_deep_link_nonce(later))).json()
    data = reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    forwarded = _update("button", DATA=data)
    forwarded["callback_query"]["from"] = {"id": 42, "is_bot": False, "username": "boris_b"}
    answer = _post(forwarded).json()
    assert answer["text"] == "This button is not for this Telegram account."
    assert not ResponseLink.objects.exists()


def test_an_account_no_earlier_member_gave_gets_no_button(panel):
    *_, later = panel
    update = _update("start", NONCE=_deep_link_nonce(later))
    update["message"]["from"]["username"] = "somebody_else"
    reply = _post(update).json()
    assert "reply_markup" not in reply
    assert "We know no earlier answers" in reply["text"]
    del update["message"]["from"]["username"]  # an account without a username
    assert "reply_markup" not in _post(update).json()


def test_a_made_up_or_reused_start_parameter_names_nothing(panel):
    *_, later = panel
    assert "only confirms links" in _post(_update("start", NONCE="made-up")).json()["text"]
    nonce = _deep_link_nonce(later)
    _post(_update("start", NONCE=nonce))
    # The deep link works once: a second Start with it is a stranger's.
    assert "only confirms links" in _post(_update("start", NONCE=nonce)).json()["text"]
    bad = _post(_update("button", DATA="link:made-up")).json()
    assert "expired" in bad["text"]
    assert not ResponseLink.objects.exists()


def test_updates_without_the_secret_are_refused(panel):
    *_, later = panel
    update = _update("start", NONCE=_deep_link_nonce(later))
    assert _post(update, secret="guess").status_code == 403
    assert _post(update, secret="").status_code == 403
    garbled = Client().post(
        "/telegram/webhook/",
        data="{not json",
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert garbled.status_code == 400
    assert Client().get("/telegram/webhook/").status_code == 405


def test_without_a_bot_there_is_no_telegram_option(panel, settings):
    settings.TELEGRAM_BOT_USERNAME = ""
    *_, later = panel
    page = Client().get(f"/r/{issue_resume_token(later)}/before/").content.decode()
    assert "I took part before" in page
    assert "t.me" not in page
    assert _post(_update("start", NONCE="x")).status_code == 404


def test_a_study_where_nobody_gave_a_telegram_username_offers_no_bot():
    study, version = make_fieldwork_study("mailonly")
    first = make_wave(study, version, "Wave 1")
    second = make_wave(study, version, "Wave 2")
    join_panel(add_response(first).pk, email="anna@example.org")
    later = add_response(second, status="in_progress")
    page = Client().get(f"/r/{issue_resume_token(later)}/before/").content.decode()
    assert "Send me a link" in page
    assert "t.me" not in page


def test_the_bot_speaks_the_respondents_language(panel):
    *_, later = panel
    Response.objects.filter(pk=later.pk).update(language="ru")
    reply = _post(_update("start", NONCE=_deep_link_nonce(later))).json()
    assert reply["reply_markup"]["inline_keyboard"][0][0]["text"] == "Связать мои ответы"
