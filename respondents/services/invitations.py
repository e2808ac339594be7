"""Inviting panelists to a wave: invite_panel, reminders, Telegram link lists, withdrawal.

Flow: `invite_panel` creates one Invitation per active member of the study who has a
contact and neither an invitation nor a response in the wave, then (after commit) enqueues
one rate-limited Celery task per e-mail invitation. The task calls
respondents.delivery.send_invitation, which issues a fresh token under a row lock and puts the raw token only into the outgoing
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
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.inputerrors import InputError
from respondents import tasks
from respondents.delivery import due_reminder_ids, has_email, stalled_invitation_ids
from respondents.models import Contact, Invitation, MemberStatus, PanelMember, Wave
from respondents.services.contacts import reveal_contact
from respondents.services.waves import is_accepting_responses
from respondents.tokens import (
    issue_invitation,
    make_withdraw_token,
    personal_link,
    revoke_invitation_tokens,
    withdraw_link,
)

TELEGRAM_CSV_HEADER = ("pseudonym", "telegram", "link", "withdraw_link")

ERROR_WAVE_CLOSED = "Wave {wave} is not open for responses; open it before inviting."


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


def _unsent_email_invitations(wave: Wave) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            wave=wave, sent_at__isnull=True, member__status=MemberStatus.ACTIVE
        )
        .filter(has_email())
        .order_by("pk")
    )


@transaction.atomic
def invite_panel(wave: Wave, *, limit: int | None = None) -> InvitationRun:
    """Invite every eligible member (at most `limit`) and queue the e-mails."""
    if not is_accepting_responses(wave):
        raise InputError(ERROR_WAVE_CLOSED.format(wave=wave.pk), field="state")
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
    # After commit, so a worker never looks for an invitation that is not there yet; a
    # broker outage leaves them unsent, for send_unsent_invitations to queue again.
    tasks.enqueue_sends(email_ids, "invitation")
    return InvitationRun(
        wave_id=wave.pk,
        created=created,
        emails_queued=len(email_ids),
        telegram_pending=_telegram_invitations(wave, resend=False).count(),
        without_contact=without_contact,
        possible_duplicates=possible_duplicates,
    )


def send_reminders(*, wave: Wave | None = None, now: datetime | None = None) -> int:
    """Queue a reminder for every invitation that is due one; returns how many were queued.

    Only e-mail contacts are reminded; Telegram-only members are the team's to remind.
    """
    ids = due_reminder_ids(wave=wave, now=now)
    with transaction.atomic():
        tasks.enqueue_sends(ids, "reminder")
    return len(ids)


def send_unsent_invitations(*, now: datetime | None = None) -> int:
    """Queue again the first invitations a broker outage left unsent; returns how many."""
    ids = stalled_invitation_ids(now=now)
    with transaction.atomic():
        tasks.enqueue_sends(ids, "invitation")
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
