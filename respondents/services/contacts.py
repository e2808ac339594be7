"""Contact details of panel members: encrypted at rest, found by a keyed blind index.

Rules (DESIGN.md, privacy model; methods.md section 6, "identity vault"):
- an e-mail address or Telegram handle is stored only as a Fernet token (MultiFernet over
  settings.PANELWAVE_CONTACT_KEYS, newest key first, so a key can be rotated in and the old
  one dropped after `rotate_contact_keys`);
- duplicates are found through a blind index: HMAC-SHA256 under settings.PANELWAVE_HASH_KEY
  of the normalised value (e-mail lower-cased; Telegram handle without "@", lower-cased),
  with the kind of value in the message so an e-mail and a handle never collide;
- `reveal_contact` is the only function that decrypts; it serves the mail and Telegram-link
  senders and nothing else (no admin or API list shows a contact).

One person, one member: when a member stores a contact that another member of the same
study already has (a panelist who answered the open link again and asked to join), the
two are merged into the member being stored, which takes over the older member's
pseudonym (so earlier withdraw links keep working), history, invitations and responses.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from respondents.models import Contact, Invitation, MemberStatus, PanelMember, Response

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
ERROR_MERGE_CONFLICT = (
    "Member {member} and member {other} share a contact and were both invited to wave "
    "{wave}; they cannot be merged automatically."
)


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

    Values given replace the stored ones; an empty value keeps what is stored. If another
    member of the study already has this e-mail or handle, that member is merged into
    `member` (see the module docstring), so one person never holds two panel places.
    """
    if member.status == MemberStatus.WITHDRAWN:
        raise ValidationError(ERROR_WITHDRAWN.format(member=member.pk))
    clean_email = normalise_email(email) if email.strip() else ""
    clean_telegram = normalise_telegram(telegram) if telegram.strip() else ""
    if not clean_email and not clean_telegram:
        raise ValidationError(ERROR_NO_CONTACT)
    others = [
        other
        for other in find_members_by_contact(
            email=clean_email, telegram=clean_telegram, study_id=member.study_id
        )
        # A withdrawn member's rejoining is a new consent, not a reactivation.
        if other.pk != member.pk and other.status == MemberStatus.ACTIVE
    ]
    contact = Contact.objects.select_for_update().filter(member=member).first()
    contact = contact or Contact(member=member)
    for other in others:
        _absorb(member, other, contact)
    if clean_email:
        contact.email_encrypted = _encrypt(clean_email)
        contact.email_blind_index = keyed_hash("email", clean_email)
    if clean_telegram:
        contact.telegram_encrypted = _encrypt(clean_telegram)
        contact.telegram_blind_index = keyed_hash("telegram", clean_telegram)
    contact.full_clean(exclude=["member"])
    contact.save()
    return contact


def _absorb(member: PanelMember, other: PanelMember, contact: Contact) -> None:
    """Move `other`'s history into `member`, then delete `other`; `member` keeps the older
    pseudonym and recruitment wave, and `contact` any value only `other` had."""
    shared_wave = (
        Invitation.objects.filter(member=other, wave__invitations__member=member)
        .values_list("wave_id", flat=True)
        .first()
    )
    if shared_wave is not None:
        raise ValidationError(
            ERROR_MERGE_CONFLICT.format(member=member.pk, other=other.pk, wave=shared_wave)
        )
    Response.objects.filter(member=other).update(member=member)
    Invitation.objects.filter(member=other).update(member=member)
    old_contact = Contact.objects.filter(member=other).first()
    if old_contact is not None:
        for kind in ("email", "telegram"):
            if not getattr(contact, f"{kind}_encrypted"):
                setattr(contact, f"{kind}_encrypted", getattr(old_contact, f"{kind}_encrypted"))
                setattr(contact, f"{kind}_blind_index", getattr(old_contact, f"{kind}_blind_index"))
    keep_pseudonym = other.pseudonym if other.created_at < member.created_at else None
    member.recruited_in_id = other.recruited_in_id or member.recruited_in_id
    member.panel_key_hash = member.panel_key_hash or other.panel_key_hash
    member.preferred_language = member.preferred_language or other.preferred_language
    other.delete()
    if keep_pseudonym is not None:
        member.pseudonym = keep_pseudonym
    member.save(update_fields=["pseudonym", "recruited_in", "panel_key_hash", "preferred_language"])
    # Pseudonyms only: which person merged is exactly what the log must not reveal.
    logger.info("panel member merged into %s after a duplicate contact", member.pseudonym)


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
