"""Verified linking through Telegram: a returner who gave a Telegram username in an earlier
wave proves they hold that account, and confirms inside Telegram.

1. The respondent page ("I took part before") shows a deep link to the study's bot,
   `https://t.me/<bot>?start=<nonce>` (`start_link`). The nonce is random; the cache keeps
   only its hash, pointing at the response, for MAX_AGE. Telegram thus sees a random string,
   never a number of ours that could be joined to the database.
2. Pressing Start sends the bot `/start <nonce>` from the person's account. Telegram vouches
   for the sender's username; it is hashed into the contacts' blind index to find an active
   member of the study with an earlier completed response (as a typed e-mail address is),
   and then forgotten. If one is found, the bot replies with a button "Connect my answers"
   whose data is a second random nonce (cached hash -> response and member).
3. Pressing the button (a callback from the same account) links the response, recorded as
   "verified" (services/linkage_verification.link_verified). Nothing is linked without it.

Nothing of Telegram is stored: not the user id, not the chat id, not the username (only its
keyed hash is computed, to look it up, as for a typed address). Replies go back in the
webhook's HTTP response as a Bot API method call, so the server never calls Telegram.
A sender without a username, or whose username no earlier member gave, is told there is
nothing to connect; only the account's holder reads that, about their own account.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from respondents.models import Contact, Response
from respondents.services.contacts import find_members_by_contact
from respondents.services.linkage_verification import (
    VerificationRefusedError,
    can_ask,
    earlier_members,
    link_verified,
)
from respondents.verified_links import MAX_AGE

logger = logging.getLogger(__name__)

REASON = "verified through Telegram"
# 24 random bytes: 32 URL-safe characters, inside Telegram's 64 for a start parameter and
# for callback data (with the prefix).
NONCE_BYTES = 24
START_KEY = "respondents:telegram-start:{digest}"
CONFIRM_KEY = "respondents:telegram-confirm:{digest}"
CALLBACK_PREFIX = "link:"
START_COMMAND = "/start"
TIMEOUT = int(MAX_AGE.total_seconds())

BotReply = dict[str, Any]


def is_enabled() -> bool:
    return bool(settings.TELEGRAM_BOT_USERNAME and settings.TELEGRAM_WEBHOOK_SECRET)


def _key(template: str, nonce: str) -> str:
    return template.format(digest=hashlib.sha256(nonce.encode()).hexdigest())


def start_link(response: Response) -> str:
    """The deep link that lets this response's respondent confirm through Telegram; "" when
    Telegram is not set up, the response may not ask, or the cache is unreachable."""
    if not is_enabled() or not can_ask(response) or not _uses_telegram(response):
        return ""
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    try:
        cache.set(_key(START_KEY, nonce), response.pk, timeout=TIMEOUT)
    except (RedisError, OSError):
        logger.warning("Telegram link not offered: the cache is unreachable")
        return ""
    return f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={nonce}"


def _uses_telegram(response: Response) -> bool:
    """Some member of the study gave a Telegram username: only then is the bot worth offering."""
    contacts = Contact.objects.filter(member__study_id=response.wave.study_id)
    return contacts.exclude(telegram_blind_index="").exists()


def handle_update(update: Mapping[str, Any]) -> BotReply | None:
    """The bot's answer to one update, as a Bot API method call; None: nothing to say."""
    message = update.get("message")
    if isinstance(message, Mapping):
        return _on_message(message)
    query = update.get("callback_query")
    if isinstance(query, Mapping):
        return _on_button(query)
    return None


def _username(sender: Any) -> str:
    return str(sender.get("username") or "") if isinstance(sender, Mapping) else ""


def _send(chat_id: Any, text: str, button: str = "", data: str = "") -> BotReply:
    reply: BotReply = {"method": "sendMessage", "chat_id": chat_id, "text": text}
    if button:
        reply["reply_markup"] = {"inline_keyboard": [[{"text": button, "callback_data": data}]]}
    return reply


def _on_message(message: Mapping[str, Any]) -> BotReply | None:
    chat = message.get("chat")
    if not isinstance(chat, Mapping) or "id" not in chat:
        return None
    text = str(message.get("text") or "").strip()
    command, _space, nonce = text.partition(" ")
    response = _cached_response(START_KEY, nonce.strip()) if command == START_COMMAND else None
    if response is None:
        return _send(chat["id"], _("This bot only confirms links opened from a survey page."))
    with translation.override(response.language or response.wave.study.default_language):
        member_id = _member_for(response, _username(message.get("from")))
        if member_id is None:
            return _send(
                chat["id"],
                _(
                    "We know no earlier answers for this Telegram account. Use the account "
                    "whose username you gave us before."
                ),
            )
        confirm = secrets.token_urlsafe(NONCE_BYTES)
        cache.set(_key(CONFIRM_KEY, confirm), [response.pk, member_id], timeout=TIMEOUT)
        cache.delete(_key(START_KEY, nonce.strip()))
        text = _(
            "You asked to connect the answers you are giving in %(wave)s with the answers "
            "you gave before. Press the button only if you asked for this yourself."
        ) % {"wave": response.wave.name}
        return _send(chat["id"], text, _("Connect my answers"), CALLBACK_PREFIX + confirm)


def _cached_response(template: str, nonce: str) -> Response | None:
    if not nonce:
        return None
    response_id = cache.get(_key(template, nonce))
    if not isinstance(response_id, int):
        return None
    return Response.objects.select_related("wave__study", "member").filter(pk=response_id).first()


def _member_for(response: Response, username: str) -> int | None:
    """The earlier member whose stored Telegram username is the sender's, if any."""
    if not username or not can_ask(response):
        return None
    try:
        found = find_members_by_contact(telegram=username, study_id=response.wave.study_id)
    except ValidationError:
        return None
    members = earlier_members(response, found)
    return members[0].pk if members else None


def _on_button(query: Mapping[str, Any]) -> BotReply | None:
    if "id" not in query:
        return None
    answer: BotReply = {"method": "answerCallbackQuery", "callback_query_id": query["id"]}
    data = str(query.get("data") or "")
    nonce = data.removeprefix(CALLBACK_PREFIX)
    stored = cache.get(_key(CONFIRM_KEY, nonce)) if data.startswith(CALLBACK_PREFIX) else None
    if not isinstance(stored, list) or len(stored) != 2:
        return {**answer, "text": _("This button has expired. Start again from the survey page.")}
    response_id, member_id = int(stored[0]), int(stored[1])
    response = Response.objects.select_related("wave__study").filter(pk=response_id).first()
    language = response.language if response else ""
    with translation.override(language or settings.LANGUAGE_CODE):
        # The press must come from the account the button was sent to: a forwarded button
        # pressed by someone else links nothing.
        if response is None or _member_for(response, _username(query.get("from"))) != member_id:
            return {**answer, "text": _("This button is not for this Telegram account.")}
        try:
            link_verified(response_id, member_id, reason=REASON)
        except VerificationRefusedError:
            return {**answer, "text": _("These answers cannot be connected any more.")}
        cache.delete(_key(CONFIRM_KEY, nonce))
        return {
            **answer,
            "text": _("Your answers are connected. You can go back to the survey."),
            "show_alert": True,
        }
