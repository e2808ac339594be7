"""The only code that issues, hashes and resolves respondent tokens (docs/conventions.md point 7).

Three kinds of secret reach respondents:
- the personal-link token of an Invitation (`/i/<token>/`): each message re-issues it,
  and the hashes of earlier ones (EarlierInvitationToken) keep resolving, so the first
  e-mail's link still works after a reminder; revoking deletes them all, and
- the resume token of an open-link Response (`/r/<token>/`): both at least 32 random bytes
  from `secrets`, stored only as a sha256 hash, so a leaked database opens no survey. The
  consent form carries the future resume token, signed (`offer_resume_token`), so posting
  that one form twice resumes the response it started instead of starting a second;
- the withdraw token of a PanelMember (`/w/<token>/`): a `django.core.signing` signature
  over the member's random pseudonym, with its own salt, so it needs no storage and never
  expires (a person may withdraw years later).

Resolvers return None for every kind of failure (malformed, unknown, withdrawn member),
so no answer reveals whether a token exists.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction

from config.links import site_link
from respondents.models import (
    EarlierInvitationToken,
    Invitation,
    MemberStatus,
    PanelMember,
    Response,
    Wave,
)
from respondents.response_row import response_by_token_hash

# 32 bytes = 256 bits, twice the 128-bit floor of docs/methods.md section 3.4.
TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters; anything far outside that is not one of ours and
# is refused before it costs a database query.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{40,64}$")
WITHDRAW_SALT = "panelwave.respondents.withdraw"
RESUME_OFFER_SALT = "panelwave.respondents.resume-offer"

PERSONAL_PATH = "/i/{token}/"
RESUME_PATH = "/r/{token}/"
WITHDRAW_PATH = "/w/{token}/"

ERROR_OTHER_STUDY = "Member {member} belongs to another study than wave {wave}."
ERROR_WITHDRAWN = "Member {member} has withdrawn and is never invited again."


def hash_token(raw_token: str) -> str:
    """sha256 hex of a token: what the database stores and looks up."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _is_well_formed(raw_token: str) -> bool:
    return bool(TOKEN_PATTERN.fullmatch(raw_token))


@transaction.atomic
def issue_invitation(member: PanelMember, wave: Wave) -> tuple[Invitation, str]:
    """Create the member's invitation to the wave, or give an existing one a new token.

    The token is new on every call, so it only ever exists in the message it is made for;
    earlier tokens of the invitation keep working (a reminder must not lock out someone
    who clicks the first e-mail) until `revoke_invitation_tokens`. The invitation keeps its
    timestamps and its response.
    """
    # A token for another study's wave would link a person across studies.
    if member.study_id != wave.study_id:
        raise ValidationError(ERROR_OTHER_STUDY.format(member=member.pk, wave=wave.pk))
    # Withdrawal is final: no code path may mint a link for a withdrawn member.
    if member.status == MemberStatus.WITHDRAWN:
        raise ValidationError(ERROR_WITHDRAWN.format(member=member.pk))
    raw_token = _new_token()
    invitation = Invitation.objects.select_for_update().filter(member=member, wave=wave).first()
    if invitation is None:
        invitation = Invitation.objects.create(
            member=member, wave=wave, token_hash=hash_token(raw_token)
        )
        return invitation, raw_token
    EarlierInvitationToken.objects.create(invitation=invitation, token_hash=invitation.token_hash)
    invitation.token_hash = hash_token(raw_token)
    invitation.save(update_fields=["token_hash"])
    return invitation, raw_token


def resolve_invitation(raw_token: str) -> Invitation | None:
    """The invitation a personal-link token (current or earlier) opens, or None."""
    # Malformed input: not one of our tokens, no query needed.
    if not _is_well_formed(raw_token):
        return None
    token_hash = hash_token(raw_token)
    invitations = Invitation.objects.select_related("member", "wave", "wave__study")
    # Two indexed lookups, the current token first (the usual case), rather than one OR
    # across a join, which PostgreSQL cannot answer from the unique indexes.
    invitation = invitations.filter(token_hash=token_hash).first() or (
        invitations.filter(earlier_tokens__token_hash=token_hash).first()
    )
    # Unknown token (or a revoked one).
    if invitation is None:
        return None
    # A withdrawn member's old links stop working, indistinguishably from unknown ones.
    if invitation.member.status == MemberStatus.WITHDRAWN:
        return None
    return invitation


def revoke_invitation_tokens(invitation_ids: Iterable[int]) -> int:
    """Make every link ever issued for these invitations stop working; returns how many
    invitations were revoked."""
    ids = list(invitation_ids)
    EarlierInvitationToken.objects.filter(invitation_id__in=ids).delete()
    for invitation_id in ids:
        # A hash of a token nobody holds: the current link resolves to nothing.
        Invitation.objects.filter(pk=invitation_id).update(token_hash=hash_token(_new_token()))
    return len(ids)


def new_resume_token() -> str:
    """A fresh resume token for a response about to be created (store only its hash)."""
    return _new_token()


def _offer_signer(wave: Wave) -> signing.Signer:
    # Salted per wave: an offer made on one wave's consent page is worthless on another.
    return signing.Signer(salt=f"{RESUME_OFFER_SALT}:{wave.pk}")


def offer_resume_token(wave: Wave) -> str:
    """A signed, fresh resume token for the wave's consent form; nothing is stored.

    The signature means only tokens this server made are accepted, so a client cannot
    choose a weak (guessable) resume token for itself.
    """
    return _offer_signer(wave).sign(_new_token())


def accept_resume_offer(wave: Wave, signed_offer: str) -> str:
    """The resume token inside a consent form's offer, or "" if it is not one we made
    for this wave."""
    try:
        raw_token = _offer_signer(wave).unsign(signed_offer)
    except signing.BadSignature:
        return ""
    return raw_token if _is_well_formed(raw_token) else ""


def issue_resume_token(response: Response) -> str:
    """A new resume token for the response; any earlier one stops working."""
    raw_token = _new_token()
    response.resume_token_hash = hash_token(raw_token)
    response.save(update_fields=["resume_token_hash", "updated_at"])
    return raw_token


def resolve_resume_token(raw_token: str, *, lock: bool = False) -> Response | None:
    """The response a resume token opens, or None. With `lock` (inside a transaction) the
    response row is locked FOR UPDATE in the same query, so a page POST needs no second
    read of it."""
    # Malformed input: not one of our tokens.
    if not _is_well_formed(raw_token):
        return None
    # One narrow, prepared statement (respondents/response_row.py): every respondent page
    # runs this lookup, and the ORM compiled its five-table join afresh each time.
    response = response_by_token_hash(hash_token(raw_token), lock=lock)
    # Unknown token (or one replaced by a newer resume token).
    if response is None:
        return None
    # A response tied to a withdrawn member is closed to everyone holding its link.
    if response.member is not None and response.member.status == MemberStatus.WITHDRAWN:
        return None
    return response


def make_withdraw_token(member: PanelMember) -> str:
    """A signed token naming the member's pseudonym (never the database ID)."""
    return signing.Signer(salt=WITHDRAW_SALT).sign(member.pseudonym)


def resolve_withdraw_token(raw_token: str) -> PanelMember | None:
    """The member a withdraw token names, or None; already-withdrawn members resolve too,
    so following the link twice is harmless."""
    # Bad or tampered signature: Signer raises BadSignature.
    try:
        pseudonym = signing.Signer(salt=WITHDRAW_SALT).unsign(raw_token)
    except signing.BadSignature:
        return None
    # Signed but erased since: the member row no longer exists.
    return PanelMember.objects.filter(pseudonym=pseudonym).first()


def personal_link(raw_token: str) -> str:
    return site_link(PERSONAL_PATH.format(token=raw_token))


def resume_link(raw_token: str) -> str:
    return site_link(RESUME_PATH.format(token=raw_token))


def withdraw_link(raw_token: str) -> str:
    return site_link(WITHDRAW_PATH.format(token=raw_token))
