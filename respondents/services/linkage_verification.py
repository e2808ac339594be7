"""Verified linking: a returner who came back through the open link proves, by a click in a
message sent to the contact an earlier member stored, that they are that member.

`request_verification(response, email)`: the end page's "I took part before". The typed
address is only hashed into its blind index to find the member; it is never stored, logged
or written to. If it matches an active member of the study with a completed response in an
earlier wave, a Celery task (respondents.send_verification, retried on failure) sends a
one-time link to the address stored for that member, so typing someone else's address only
sends that person a link they can ignore. The task carries two ids, never an address
(respondents/verified_links.py). The caller shows the same page whatever happened: no
enumeration.

`confirm_verification(token)`: following the link links the later response to the member's
latest earlier response (services/linkage.py, how "verified"). The link is a signed token
(django.core.signing, its own salt, MAX_AGE) naming the response and the member; it is
one-time because a response already linked is refused, and a closed wave refuses it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from redis.exceptions import RedisError

from config.queueing import enqueue_on_commit
from respondents.models import (
    LinkHow,
    LinkStatus,
    MemberStatus,
    PanelMember,
    Response,
    ResponseLink,
    ResponseStatus,
)
from respondents.services.contacts import find_members_by_contact, reveal_contact
from respondents.services.linkage import earlier_waves, link_response
from respondents.services.waves import is_accepting_responses
from respondents.tasks import send_verification_task
from respondents.verified_links import MAX_AGE, SALT

logger = logging.getLogger(__name__)

# Requests per response: enough for a typo or two, too few to try a list of addresses.
REQUEST_LIMIT = 3
REQUEST_WINDOW_SECONDS = int(MAX_AGE.total_seconds())
REASON = "verified by e-mail"
ASKING_STATUSES = (ResponseStatus.IN_PROGRESS, ResponseStatus.COMPLETED)


class Requested(StrEnum):
    # The caller shows the same page for SENT and NOT_SENT: the difference never reaches the
    # person who typed the address.
    SENT = "sent"
    NOT_SENT = "not_sent"
    RATE_LIMITED = "rate_limited"


class Refusal(StrEnum):
    INVALID = "invalid"  # tampered, expired, unknown, withdrawn: one answer for all
    USED = "used"
    CLOSED = "closed"


class VerificationRefusedError(Exception):
    """`response` is set only for a correctly signed link (USED, CLOSED), so a page naming
    the refusal in the response's language reveals nothing to someone who guessed."""

    def __init__(self, refusal: Refusal, response: Response | None = None) -> None:
        super().__init__(f"verified link refused: {refusal}")
        self.refusal = refusal
        self.response = response


@dataclass(frozen=True)
class Verification:
    response: Response
    member: PanelMember
    earlier: Response


def can_ask(response: Response, *, linked: bool | None = None) -> bool:
    """An open-link response (being answered, or finished) not yet tied to an earlier person:
    a returner may ask at the start of the questionnaire or on its end page. `linked` is
    is_linked(response) when the caller has it already (the end page shows it too)."""
    if response.status not in ASKING_STATUSES or response.invitation_id is not None:
        return False
    # A closed wave's answers are final: its end page offers nothing to connect.
    if not is_accepting_responses(response.wave):
        return False
    if is_linked(response) if linked is None else linked:
        return False
    # A member made in this very wave is the newcomer record of joining the panel again.
    member = response.member
    return member is None or member.recruited_in_id == response.wave_id


def is_linked(response: Response) -> bool:
    return ResponseLink.objects.filter(response=response, status=LinkStatus.LINKED).exists()


def latest_earlier_response(response: Response, member: PanelMember) -> Response | None:
    waves = earlier_waves(response.wave)
    return (
        Response.objects.filter(member=member, wave__in=waves, status=ResponseStatus.COMPLETED)
        .order_by("-started_at", "-pk")
        .first()
    )


def request_verification(response: Response, email: str) -> Requested:
    """Send the one-time link if the address belongs to an earlier member; see the module."""
    if not _within_limit(response):
        return Requested.RATE_LIMITED
    if not can_ask(response):
        return Requested.NOT_SENT
    try:
        members = find_members_by_contact(email=email, study_id=response.wave.study_id)
    except ValidationError:
        return Requested.NOT_SENT
    for member in earlier_members(response, members):
        # Decrypted only to see that there is an address to write to; the worker reads it
        # again when it sends, so it never travels with the task.
        if not reveal_contact(member).email:
            continue
        enqueue_on_commit(send_verification_task, response.pk, member.pk)
        return Requested.SENT
    return Requested.NOT_SENT


def earlier_members(response: Response, members: list[PanelMember]) -> list[PanelMember]:
    """Of the members a contact matched, those the response may be linked to: active, not
    the response's own (newcomer) record, with a completed response in an earlier wave."""
    return [
        member
        for member in members
        if member.status == MemberStatus.ACTIVE
        and member.pk != response.member_id
        and latest_earlier_response(response, member) is not None
    ]


def _within_limit(response: Response) -> bool:
    key = f"respondents:verify-requests:{response.pk}"
    try:
        cache.add(key, 0, timeout=REQUEST_WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=REQUEST_WINDOW_SECONDS)
            count = 1
    except (RedisError, OSError):
        # Fail closed: without a counter the form could be used to try address after address.
        logger.warning("verified-link request refused: the cache is unreachable")
        return False
    return count <= REQUEST_LIMIT


def _read_token(token: str) -> tuple[int, int]:
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        return int(payload["r"]), int(payload["m"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise VerificationRefusedError(Refusal.INVALID) from None


def check_verification(token: str) -> Verification:
    """What the link would link; VerificationRefusedError if it may not be followed."""
    return check_pair(*_read_token(token))


def check_pair(response_id: int, member_id: int) -> Verification:
    """What proving to be `member_id` would link the response to; refused as for a link."""
    response = (
        Response.objects.select_related("wave__study", "member").filter(pk=response_id).first()
    )
    member = PanelMember.objects.filter(pk=member_id, status=MemberStatus.ACTIVE).first()
    if response is None or member is None or member.study_id != response.wave.study_id:
        raise VerificationRefusedError(Refusal.INVALID)
    if ResponseLink.objects.filter(response=response, status=LinkStatus.LINKED).exists():
        raise VerificationRefusedError(Refusal.USED, response)
    if response.member_id == member.pk:
        raise VerificationRefusedError(Refusal.USED, response)
    if not is_accepting_responses(response.wave):
        raise VerificationRefusedError(Refusal.CLOSED, response)
    earlier = latest_earlier_response(response, member)
    if earlier is None or not can_ask(response):
        raise VerificationRefusedError(Refusal.INVALID)
    return Verification(response=response, member=member, earlier=earlier)


def confirm_verification(token: str) -> ResponseLink:
    """Link the later response to the member's latest earlier response, once."""
    return link_verified(*_read_token(token), reason=REASON)


@transaction.atomic
def link_verified(response_id: int, member_id: int, *, reason: str) -> ResponseLink:
    """Link a response to the member the person proved to be (by e-mail or Telegram)."""
    found = check_pair(response_id, member_id)
    # The lock serialises two clicks: the second finds the response linked.
    Response.objects.select_for_update(of=("self",)).get(pk=found.response.pk)
    found = check_pair(response_id, member_id)
    link = ResponseLink.objects.select_for_update().filter(response=found.response).first()
    if link is None:
        link = ResponseLink(response=found.response)
    # The person's click outweighs a guess: a candidate, or a reviewer's decision on a
    # guessed pair, gives way to the pair they proved. The reviewer's decision stays in the
    # link's history (LinkDecision), beside this one.
    link.earlier_response = found.earlier
    link.status = LinkStatus.CANDIDATE
    link.probability = None
    link.second_probability = None
    link.save()
    return link_response(link, how=LinkHow.VERIFIED, user=None, reason=reason)
