"""Delivering invitations and reminders: the runner behind the Celery tasks.

`send_invitation` sends one message if it is (still) due, issuing a fresh token under a row
lock so the raw token exists only in the outgoing message; a second call for the same
invitation finds it sent and does nothing. `due_reminder_ids` and `stalled_invitation_ids`
find the work the beat tasks queue. Services queue work through respondents.tasks, and the
tasks call this module, which imports neither: no import cycle (as exports.jobs does).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from respondents.models import (
    Contact,
    Invitation,
    MemberStatus,
    PanelMember,
    Response,
    ResponseStatus,
    Wave,
    WaveState,
)
from respondents.services.contacts import reveal_contact
from respondents.services.waves import is_accepting_responses
from respondents.tokens import issue_invitation, make_withdraw_token, personal_link, withdraw_link
from surveys.services.studies import study_title

MessageKind = Literal["invitation", "reminder"]
# Languages with e-mail templates (templates/respondents/email/); others get English.
EMAIL_LANGUAGES = ("en", "ru")
FALLBACK_LANGUAGE = "en"
# A respondent who saved a page this recently is answering now: a reminder would only
# interrupt them, so it waits for the next sweep.
ACTIVE_GRACE = timedelta(hours=1)
# A first invitation still unsent this long after it was made lost its message (the broker
# was down); at the default rate of 60 a minute, an hour is 3,600 sends.
UNSENT_GRACE = timedelta(hours=1)

ERROR_DELIVERY = "Invitation {invitation}: the message was not delivered ({reason})."


class MailDeliveryError(OSError):
    """Sending failed for a reason worth retrying; the message names only the invitation
    and the kind of failure. The original exception is dropped on purpose: smtplib's
    (SMTPRecipientsRefused above all) carry the recipient's address, and the task's retry
    line and traceback would print it to the worker log."""

    def __init__(self, invitation_id: int, error: OSError) -> None:
        code = getattr(error, "smtp_code", None)
        reason = type(error).__name__ + (f" {code}" if isinstance(code, int) else "")
        super().__init__(ERROR_DELIVERY.format(invitation=invitation_id, reason=reason))


def message_language(member: PanelMember) -> str:
    """The language of the member's messages, and so of the withdraw page their link opens:
    their preferred language, else the study's default, else English."""
    for language in (member.preferred_language, member.study.default_language):
        if language in EMAIL_LANGUAGES:
            return language
    return FALLBACK_LANGUAGE


def has_email() -> Exists:
    return Exists(Contact.objects.filter(member=OuterRef("member")).exclude(email_blind_index=""))


def completed_in_wave() -> Exists:
    return Exists(
        Response.objects.filter(
            wave=OuterRef("wave"), member=OuterRef("member"), status=ResponseStatus.COMPLETED
        )
    )


def is_due(invitation: Invitation, kind: MessageKind, now: datetime) -> bool:
    if invitation.member.status != MemberStatus.ACTIVE or invitation.completed_at is not None:
        return False
    if not is_accepting_responses(invitation.wave, now=now):
        return False
    if kind == "invitation":
        return invitation.sent_at is None
    if invitation.sent_at is None:
        return False
    if invitation.reminders_sent >= settings.INVITATION_MAX_REMINDERS:
        return False
    last = invitation.last_reminded_at or invitation.sent_at
    if last > now - timedelta(days=settings.INVITATION_REMINDER_DAYS):
        return False
    answering = Response.objects.filter(
        wave=invitation.wave, member=invitation.member, updated_at__gt=now - ACTIVE_GRACE
    )
    completed = Response.objects.filter(
        wave=invitation.wave, member=invitation.member, status=ResponseStatus.COMPLETED
    )
    return not answering.exists() and not completed.exists()


def _message(invitation: Invitation, raw_token: str, email: str, kind: MessageKind) -> EmailMessage:
    member, wave = invitation.member, invitation.wave
    language = message_language(member)
    context = {
        "study": study_title(wave.study, language),
        "wave": wave.name,
        "personal_link": personal_link(raw_token),
        "withdraw_link": withdraw_link(make_withdraw_token(member)),
        "is_reminder": kind == "reminder",
    }
    subject = render_to_string(f"respondents/email/subject_{language}.txt", context)
    body = render_to_string(f"respondents/email/invitation_{language}.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=[email])


@transaction.atomic
def send_invitation(
    invitation_id: int, *, kind: MessageKind = "invitation", now: datetime | None = None
) -> bool:
    """Send the invitation or a reminder if it is (still) due; True if a message went out."""
    moment = now or timezone.now()
    # The lock serialises two tasks for one invitation: the second sees it sent.
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("member", "wave__study")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not is_due(invitation, kind, moment):
        return False
    email = reveal_contact(invitation.member).email
    if not email:
        return False
    invitation, raw_token = issue_invitation(invitation.member, invitation.wave)
    # Sent inside the transaction: if the mail server refuses, the new token rolls back
    # (it was never delivered); the task retry sends again.
    try:
        _message(invitation, raw_token, email, kind).send()
    except OSError as error:
        # smtplib errors are OSErrors; `from None` keeps the address-bearing original out
        # of the traceback as well as out of the message.
        raise MailDeliveryError(invitation.pk, error) from None
    if kind == "invitation":
        invitation.sent_at = moment
        invitation.save(update_fields=["sent_at", "token_hash"])
    else:
        invitation.reminders_sent += 1  # safe: the row is locked
        invitation.last_reminded_at = moment
        invitation.save(update_fields=["reminders_sent", "last_reminded_at", "token_hash"])
    return True


def due_reminder_ids(*, wave: Wave | None = None, now: datetime | None = None) -> list[int]:
    """The invitations due a reminder now (e-mail contacts only: Telegram-only members are
    the team's to remind)."""
    moment = now or timezone.now()
    due = (
        Invitation.objects.filter(
            sent_at__isnull=False,
            completed_at__isnull=True,
            member__status=MemberStatus.ACTIVE,
            reminders_sent__lt=settings.INVITATION_MAX_REMINDERS,
            wave__state=WaveState.OPEN,
        )
        .filter(has_email())
        .exclude(completed_in_wave())
        .select_related("member", "wave")
    )
    if wave is not None:
        due = due.filter(wave=wave)
    return [invitation.pk for invitation in due if is_due(invitation, "reminder", moment)]


def stalled_invitation_ids(*, now: datetime | None = None) -> list[int]:
    """First invitations a broker outage left unsent.

    A wave whose invitations are still going out (one sent within UNSENT_GRACE) is left
    alone: its queue is draining at the rate limit, and queuing its backlog twice would only
    double the queue (a second send is a no-op, send_invitation re-checks under a lock).
    """
    since = (now or timezone.now()) - UNSENT_GRACE
    draining = Invitation.objects.filter(wave=OuterRef("wave"), sent_at__gte=since)
    stalled = (
        Invitation.objects.filter(
            sent_at__isnull=True,
            created_at__lt=since,
            member__status=MemberStatus.ACTIVE,
            wave__state=WaveState.OPEN,
        )
        .filter(has_email())
        .exclude(Exists(draining))
        .order_by("pk")
    )
    return list(stalled.values_list("pk", flat=True))
