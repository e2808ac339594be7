"""Contact details of panel members: encrypted at rest, found by a keyed blind index.

Rules (docs/design.md, privacy model; docs/methods.md section 6, "identity vault"):
- an e-mail address or Telegram handle is stored only as a Fernet token (MultiFernet over
  settings.PANELWAVE_CONTACT_KEYS, newest key first, so a key can be rotated in and the old
  one dropped after `rotate_contact_keys`);
- duplicates are found through a blind index: HMAC-SHA256 under settings.PANELWAVE_HASH_KEY
  of the normalised value (e-mail lower-cased; Telegram handle without "@", lower-cased),
  with the kind of value in the message so an e-mail and a handle never collide;
- `reveal_contact` is the only function that decrypts; it serves the mail and Telegram-link
  senders and nothing else (no admin or API list shows a contact).

Possible duplicates are recorded, never merged. When a member stores an e-mail or handle
that an earlier active member of the same study already has, the new member stays
separate and `possible_duplicate_of` names the earlier one. Nobody has proved they own the
address they type on the end page: merging on it would let anyone who knows a panelist's
e-mail take over that panelist's membership (their pseudonym, withdraw link, invitations
and answers), or fuse two people's answers. Recording the match keeps everyone's answers
where they were given, lets the team and the cleaning rules see the likely duplicate, and
services/invitations.py invites only the earlier member, so the address still receives one
personal link per wave whoever typed it, and the newcomer gains nothing by claiming it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from respondents.models import Contact, MemberStatus, PanelMember

logger = logging.getLogger(__name__)

EMAIL_MAX_LENGTH = 254
# Telegram usernames: 5-32 characters, letters, digits and underscores, starting with a
# letter (https://core.telegram.org/method/account.updateUsername).
TELEGRAM_PATTERN = re.compile(r"^[a-z][a-z0-9_]{4,31}$")
TELEGRAM_LINK_PREFIXES = ("https://t.me/", "http://t.me/", "t.me/", "https://telegram.me/")
# Rows re-encrypted per transaction: small enough that a rotation never holds many row
# locks while the form keeps writing, large enough to finish 10,000 members in seconds.
ROTATION_BATCH_SIZE = 500

ERROR_NO_CONTACT = "Give an e-mail address or a Telegram handle."
ERROR_EMAIL = "That is not a valid e-mail address."
ERROR_TELEGRAM = (
    "A Telegram username has 5-32 letters, digits or underscores and starts with a letter."
)
ERROR_WITHDRAWN = "Member {member} has withdrawn; no contact is kept for them."


@dataclass(frozen=True)
class ContactDetails:
    """Decrypted contact details. Values are hidden from repr so they never reach a log."""

    email: str = field(default="", repr=False)
    telegram: str = field(default="", repr=False)


def contact_fernet() -> MultiFernet:
    # Newest key first: encrypt() uses it, decrypt() tries each (key rotation).
    return MultiFernet([Fernet(key.encode()) for key in settings.PANELWAVE_CONTACT_KEYS])


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 hex under PANELWAVE_HASH_KEY; `purpose` separates the kinds of value."""
    message = f"{purpose}|{value}".encode()
    return hmac.new(settings.PANELWAVE_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def keyed_hashes(purpose: str, values: Sequence[str]) -> list[str]:
    """keyed_hash of each value, the key prepared once (an import's column of panel keys)."""
    keyed = hmac.new(settings.PANELWAVE_HASH_KEY.encode(), digestmod=hashlib.sha256)
    hashes = []
    for value in values:
        one = keyed.copy()
        one.update(f"{purpose}|{value}".encode())
        hashes.append(one.hexdigest())
    return hashes


def normalise_email(raw: str) -> str:
    """The lower-cased address; ValidationError(ERROR_EMAIL) if it is not one."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(ERROR_EMAIL)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(ERROR_EMAIL) from None
    return email


def normalise_telegram(raw: str) -> str:
    """The handle without "@" or a t.me link around it, lower-cased."""
    handle = raw.strip()
    for prefix in TELEGRAM_LINK_PREFIXES:
        if handle.lower().startswith(prefix):
            handle = handle[len(prefix) :]
    handle = handle.strip("/").lstrip("@").lower()
    if not TELEGRAM_PATTERN.fullmatch(handle):
        raise ValidationError(ERROR_TELEGRAM)
    return handle


def email_index(email: str) -> str:
    return keyed_hash("email", normalise_email(email))


def telegram_index(handle: str) -> str:
    return keyed_hash("telegram", normalise_telegram(handle))


def _encrypt(value: str) -> str:
    return contact_fernet().encrypt(value.encode()).decode() if value else ""


def _decrypt(token: str) -> str:
    return contact_fernet().decrypt(token.encode()).decode() if token else ""


def reveal_contact(member: PanelMember) -> ContactDetails:
    """The member's decrypted contact details ("" where absent).

    The one place contact details are decrypted: call it only to send a message.
    """
    contact = Contact.objects.filter(member=member).first()
    if contact is None:
        return ContactDetails()
    return ContactDetails(
        email=_decrypt(contact.email_encrypted), telegram=_decrypt(contact.telegram_encrypted)
    )


def find_members_by_contact(
    *, email: str = "", telegram: str = "", study_id: int | None = None
) -> list[PanelMember]:
    """Members whose stored e-mail or Telegram handle equals the given one (normalised)."""
    if not email and not telegram:
        raise ValidationError(ERROR_NO_CONTACT)
    contacts = Contact.objects.none()
    if email:
        contacts |= Contact.objects.filter(email_blind_index=email_index(email))
    if telegram:
        contacts |= Contact.objects.filter(telegram_blind_index=telegram_index(telegram))
    members = PanelMember.objects.filter(pk__in=contacts.values("member_id"))
    if study_id is not None:
        members = members.filter(study_id=study_id)
    return list(members.order_by("created_at", "pk"))


@transaction.atomic
def store_contact(member: PanelMember, *, email: str = "", telegram: str = "") -> Contact:
    """Validate, normalise, encrypt and store the member's contact; return the Contact.

    Values given replace the stored ones; an empty value keeps what is stored. If an
    earlier active member of the study already has this e-mail or handle, `member` is
    marked as its possible duplicate (see the module docstring); nothing is merged.
    """
    if member.status == MemberStatus.WITHDRAWN:
        raise ValidationError(ERROR_WITHDRAWN.format(member=member.pk))
    clean_email = normalise_email(email) if email.strip() else ""
    clean_telegram = normalise_telegram(telegram) if telegram.strip() else ""
    if not clean_email and not clean_telegram:
        raise ValidationError(ERROR_NO_CONTACT)
    contact = Contact.objects.select_for_update().filter(member=member).first()
    contact = contact or Contact(member=member)
    if clean_email:
        contact.email_encrypted = _encrypt(clean_email)
        contact.email_blind_index = keyed_hash("email", clean_email)
    if clean_telegram:
        contact.telegram_encrypted = _encrypt(clean_telegram)
        contact.telegram_blind_index = keyed_hash("telegram", clean_telegram)
    contact.full_clean(exclude=["member"])
    contact.save()
    _record_possible_duplicate(member, email=clean_email, telegram=clean_telegram)
    return contact


def _record_possible_duplicate(member: PanelMember, *, email: str, telegram: str) -> None:
    if member.possible_duplicate_of_id is not None:
        return
    earlier = [
        other
        for other in find_members_by_contact(
            email=email, telegram=telegram, study_id=member.study_id
        )
        # Only an earlier, active member: a withdrawn member's rejoining is a new consent,
        # and pointing the earlier member at the later one would stop its invitations.
        if other.pk != member.pk
        and other.status == MemberStatus.ACTIVE
        and (other.created_at, other.pk) < (member.created_at, member.pk)
    ]
    if not earlier:
        return
    member.possible_duplicate_of = earlier[0]  # the oldest: find_members_by_contact's order
    member.save(update_fields=["possible_duplicate_of"])
    # Pseudonyms only: which contact matched is exactly what the log must not reveal.
    logger.info("panel member %s recorded as a possible duplicate", member.pseudonym)


def erase_contact(member: PanelMember) -> bool:
    """Delete the member's contact row; True if there was one."""
    deleted, _per_model = Contact.objects.filter(member=member).delete()
    return deleted > 0


def _contact_batches() -> Iterator[list[int]]:
    last_pk = 0
    while True:
        ids = list(
            Contact.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:ROTATION_BATCH_SIZE]
        )
        if not ids:
            return
        yield ids
        last_pk = ids[-1]


def rotate_contact_keys() -> int:
    """Re-encrypt every contact under the newest key, in batches; returns rows rewritten.

    Run after putting a new key first in PANELWAVE_CONTACT_KEYS; once it has finished
    (and respondents.fingerprints.rotate_fingerprint_keys, which the command also runs),
    the old key can be removed. Safe to re-run: rotating a current token changes nothing
    but its timestamp.
    """
    fernet = contact_fernet()
    rotated = 0
    for ids in _contact_batches():
        with transaction.atomic():
            contacts = list(Contact.objects.select_for_update().filter(pk__in=ids))
            for contact in contacts:
                for name in ("email_encrypted", "telegram_encrypted"):
                    token = getattr(contact, name)
                    if token:
                        setattr(contact, name, fernet.rotate(token.encode()).decode())
            Contact.objects.bulk_update(contacts, ["email_encrypted", "telegram_encrypted"])
            rotated += len(contacts)
    return rotated
