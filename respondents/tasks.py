"""Celery tasks of respondents: thin wrappers over services and runners.

Services queue work here; these tasks call runners (respondents.delivery for messages) that
never import this module, so there is no import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.db import transaction

from config.queueing import enqueue_all_on_commit
from respondents import delivery, verified_links
from respondents.cleaning.service import clean_wave, open_wave_ids
from respondents.fingerprints import destroy_expired_fingerprint_keys

# Registered with the worker through this module (Celery discovers `<app>.tasks`).
from respondents.freetext.tasks import rescrub_stale_task as rescrub_stale_task
from respondents.freetext.tasks import scrub_responses_task as scrub_responses_task
from respondents.models import Wave
from respondents.services.waves import close_overdue_waves


@shared_task(name="respondents.clean_wave", acks_late=True)
def clean_wave_task(wave_id: int, config_overrides: dict[str, object] | None = None) -> int:
    return clean_wave(wave_id, config_overrides=config_overrides).pk


@shared_task(name="respondents.clean_open_waves", acks_late=True)
def clean_open_waves_task() -> int:
    # One task per wave, so a large wave does not hold up the others.
    wave_ids = open_wave_ids()
    for wave_id in wave_ids:
        clean_wave_task.delay(wave_id)
    return len(wave_ids)


# Rate-limited per worker: SMTP relays throttle or blacklist bursts of mail.
@shared_task(
    name="respondents.send_invitation",
    acks_late=True,
    rate_limit=settings.INVITATION_RATE_LIMIT,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_invitation_task(invitation_id: int, kind: delivery.MessageKind = "invitation") -> bool:
    # OSError covers SMTP and network failures, raised as MailDeliveryError (an OSError
    # whose text names no address); the send is idempotent, so a retry is safe.
    return delivery.send_invitation(invitation_id, kind=kind)


def enqueue_sends(invitation_ids: Iterable[int], kind: delivery.MessageKind) -> None:
    """Queue one send per invitation once the caller's transaction commits."""
    enqueue_all_on_commit(send_invitation_task, [(pk, kind) for pk in invitation_ids])


@shared_task(
    name="respondents.send_verification",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_verification_task(response_id: int, member_id: int) -> bool:
    # Ids only: the worker reads the stored address itself (respondents/verified_links.py),
    # so no address waits in the broker. OSError is VerificationDeliveryError, whose text
    # names no address.
    return verified_links.send_verification(response_id, member_id)


@shared_task(name="respondents.send_reminders", acks_late=True)
def send_reminders_task() -> int:
    ids = delivery.due_reminder_ids()
    with transaction.atomic():
        enqueue_sends(ids, "reminder")
    return len(ids)


@shared_task(name="respondents.send_unsent_invitations", acks_late=True)
def send_unsent_invitations_task() -> int:
    ids = delivery.stalled_invitation_ids()
    with transaction.atomic():
        enqueue_sends(ids, "invitation")
    return len(ids)


@shared_task(name="respondents.destroy_expired_fingerprint_keys", acks_late=True)
def destroy_expired_fingerprint_keys_task() -> int:
    # Idempotent: a second run finds the keys already empty.
    return destroy_expired_fingerprint_keys()


@shared_task(name="respondents.close_overdue_waves", acks_late=True)
def close_overdue_waves_task() -> int:
    return len(close_overdue_waves())


@shared_task(name="respondents.link_returners", acks_late=True)
def link_returners_task(wave_id: int) -> int:
    # Candidates only: accepting needs a person (the workspace) or an explicit threshold.
    # numpy with it: loaded here, not by every process that imports this module to enqueue.
    from respondents.services.linkage import run_linkage  # noqa: PLC0415 (heavy: loaded on use)

    return run_linkage(Wave.objects.get(pk=wave_id)).candidates
