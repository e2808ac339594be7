"""Inviting panelists to a wave: invite_panel, reminders, Telegram link lists, withdrawal.

Flow: `invite_panel` creates one Invitation per active member of the study who has a
contact and neither an invitation nor a response in the wave, then (after commit) enqueues
one rate-limited Celery task per e-mail invitation. The task calls `send_invitation`,
which issues a fresh token under a row lock and puts the raw token only into the outgoing
message, so no token exists anywhere else (earlier tokens of the invitation keep working:
respondents/tokens.py); a second task for the same invitation finds it
sent and does nothing (re-running invite_panel never double-sends). Members reachable only
through Telegram are listed with their links by `write_telegram_links`, for the team to send.

Withdrawn members are never invited (tokens.issue_invitation refuses them too), and
`withdraw_member` revokes their pending links and drops their contact details, keeping only
the blind index so an erasure request by e-mail can still find their answers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TextIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from config.queueing import enqueue_all_on_commit
from respondents import tasks
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
from respondents.tokens import (
    issue_invitation,
    make_withdraw_token,
    personal_link,
    revoke_invitation_tokens,
    withdraw_link,
)

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
TELEGRAM_CSV_HEADER = ("pseudonym", "telegram", "link", "withdraw_link")

ERROR_WAVE_CLOSED = "Wave {wave} is not open for responses; open it before inviting."
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


@dataclass(frozen=True)
class InvitationRun:
    """What one invite_panel call did."""

    wave_id: int
    created: int
    emails_queued: int
    telegram_pending: int
    without_contact: int
    # Members left out as possible duplicates of an earlier member (services/contacts.py).
    possible_duplicates: int


def message_language(member: PanelMember) -> str:
    """The language of the member's messages, and so of the withdraw page their link opens:
    their preferred language, else the study's default, else English."""
    for language in (member.preferred_language, member.study.default_language):
        if language in EMAIL_LANGUAGES:
            return language
    return FALLBACK_LANGUAGE


def _has_email() -> Exists:
    return Exists(Contact.objects.filter(member=OuterRef("member")).exclude(email_blind_index=""))


def _completed_in_wave() -> Exists:
    return Exists(
        Response.objects.filter(
            wave=OuterRef("wave"), member=OuterRef("member"), status=ResponseStatus.COMPLETED
        )
    )


def _unsent_email_invitations(wave: Wave) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            wave=wave, sent_at__isnull=True, member__status=MemberStatus.ACTIVE
        )
        .filter(_has_email())
        .order_by("pk")
    )


def _enqueue(invitation_ids: Iterable[int], kind: MessageKind) -> None:
    # After commit, so a worker never looks for an invitation that is not there yet; a broker
    # outage leaves them unsent, for send_unsent_invitations to queue again.
    enqueue_all_on_commit(tasks.send_invitation_task, [(pk, kind) for pk in invitation_ids])


@transaction.atomic
def invite_panel(wave: Wave, *, limit: int | None = None) -> InvitationRun:
    """Invite every eligible member (at most `limit`) and queue the e-mails."""
    if not is_accepting_responses(wave):
        raise ValidationError(ERROR_WAVE_CLOSED.format(wave=wave.pk))
    Wave.objects.select_for_update().get(pk=wave.pk)  # one invite run per wave at a time
    eligible = (
        PanelMember.objects.filter(study_id=wave.study_id, status=MemberStatus.ACTIVE)
        .exclude(invitations__wave=wave)
        .exclude(responses__wave=wave)
    )
    # A member who gave the contact of an earlier active member is not invited: the address
    # already gets that member's link, and an unverified address must not earn a second one
    # (services/contacts.py). Once the earlier member withdraws, this one is invited.
    duplicates = eligible.filter(possible_duplicate_of__status=MemberStatus.ACTIVE)
    possible_duplicates = duplicates.count()
    candidates = eligible.exclude(pk__in=duplicates.values("pk"))
    reachable = candidates.filter(contact__isnull=False).exclude(
        contact__email_blind_index="", contact__telegram_blind_index=""
    )
    without_contact = candidates.count() - reachable.count()
    members = reachable.order_by("created_at", "pk")
    created = 0
    for member in members[:limit] if limit is not None else members:
        # The raw token is dropped: sending re-issues it, so it only ever exists in a message.
        issue_invitation(member, wave)
        created += 1
    email_ids = list(_unsent_email_invitations(wave).values_list("pk", flat=True))
    _enqueue(email_ids, "invitation")
    return InvitationRun(
        wave_id=wave.pk,
        created=created,
        emails_queued=len(email_ids),
        telegram_pending=_telegram_invitations(wave, resend=False).count(),
        without_contact=without_contact,
        possible_duplicates=possible_duplicates,
    )


def _is_due(invitation: Invitation, kind: MessageKind, now: datetime) -> bool:
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
        "study": wave.study.title,
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
    if invitation is None or not _is_due(invitation, kind, moment):
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


def send_reminders(*, wave: Wave | None = None, now: datetime | None = None) -> int:
    """Queue a reminder for every invitation that is due one; returns how many were queued.

    Only e-mail contacts are reminded; Telegram-only members are the team's to remind.
    """
    moment = now or timezone.now()
    due = (
        Invitation.objects.filter(
            sent_at__isnull=False,
            completed_at__isnull=True,
            member__status=MemberStatus.ACTIVE,
            reminders_sent__lt=settings.INVITATION_MAX_REMINDERS,
            wave__state=WaveState.OPEN,
        )
        .filter(_has_email())
        .exclude(_completed_in_wave())
        .select_related("member", "wave")
    )
    if wave is not None:
        due = due.filter(wave=wave)
    ids = [invitation.pk for invitation in due if _is_due(invitation, "reminder", moment)]
    with transaction.atomic():
        _enqueue(ids, "reminder")
    return len(ids)


def send_unsent_invitations(*, now: datetime | None = None) -> int:
    """Queue again the first invitations a broker outage left unsent; returns how many.

    A wave whose invitations are still going out (one sent within UNSENT_GRACE) is left
    alone: its queue is draining at the rate limit, and queuing its backlog twice would only
    double the queue (a second send is a no-op, send_invitation re-checks under a lock).
    """
    moment = now or timezone.now()
    since = moment - UNSENT_GRACE
    draining = Invitation.objects.filter(wave=OuterRef("wave"), sent_at__gte=since)
    stalled = (
        Invitation.objects.filter(
            sent_at__isnull=True,
            created_at__lt=since,
            member__status=MemberStatus.ACTIVE,
            wave__state=WaveState.OPEN,
        )
        .filter(_has_email())
        .exclude(Exists(draining))
        .order_by("pk")
    )
    ids = list(stalled.values_list("pk", flat=True))
    with transaction.atomic():
        _enqueue(ids, "invitation")
    return len(ids)


def _telegram_invitations(wave: Wave, *, resend: bool) -> QuerySet[Invitation]:
    invitations = (
        Invitation.objects.filter(
            wave=wave, completed_at__isnull=True, member__status=MemberStatus.ACTIVE
        )
        .filter(member__contact__email_blind_index="")
        .exclude(member__contact__telegram_blind_index="")
    )
    if not resend:
        invitations = invitations.filter(sent_at__isnull=True)
    return invitations.select_related("member").order_by("pk")


@transaction.atomic
def write_telegram_links(
    wave: Wave, out: TextIO, *, resend: bool = False, now: datetime | None = None
) -> int:
    """Write a CSV (pseudonym, telegram, link, withdraw_link) of the wave's Telegram-only
    invitations not yet sent (with `resend`, all not yet completed, with new links; the
    earlier links keep working too) and mark them sent. Returns the number of rows."""
    moment = now or timezone.now()
    writer = csv.writer(out)
    writer.writerow(TELEGRAM_CSV_HEADER)
    rows = 0
    for invitation in _telegram_invitations(wave, resend=resend).select_for_update(of=("self",)):
        handle = reveal_contact(invitation.member).telegram
        _invitation, raw_token = issue_invitation(invitation.member, wave)
        writer.writerow(
            (
                invitation.member.pseudonym,
                "@" + handle,
                personal_link(raw_token),
                withdraw_link(make_withdraw_token(invitation.member)),
            )
        )
        Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=moment)
        rows += 1
    return rows


def revoke_pending_invitations(member: PanelMember) -> int:
    """Make every not-completed personal link of the member (current and earlier tokens)
    stop working."""
    pending = Invitation.objects.filter(member=member, completed_at__isnull=True)
    return revoke_invitation_tokens(pending.values_list("pk", flat=True))


@transaction.atomic
def withdraw_member(member: PanelMember, *, now: datetime | None = None) -> PanelMember:
    """Withdraw the member from the panel: never invited again, pending links revoked,
    contact details dropped. Withdrawing twice changes nothing."""
    locked = PanelMember.objects.select_for_update().get(pk=member.pk)
    if locked.status == MemberStatus.WITHDRAWN:
        return locked
    locked.status = MemberStatus.WITHDRAWN
    locked.withdrawn_at = now or timezone.now()
    locked.save(update_fields=["status", "withdrawn_at"])
    revoke_pending_invitations(locked)
    # No purpose remains for the address itself; the blind index stays so that a later
    # erasure request naming the address still finds this member's answers.
    Contact.objects.filter(member=locked).update(email_encrypted="", telegram_encrypted="")
    return locked
