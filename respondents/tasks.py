from __future__ import annotations

from celery import shared_task
from django.conf import settings

# A module import, not names: services.invitations imports this module to enqueue, and the
# cycle resolves only if neither side reads the other's names at import time.
from respondents.fingerprints import destroy_expired_fingerprint_keys

# Registered with the worker through this module (Celery discovers `<app>.tasks`).
from respondents.freetext.tasks import rescrub_stale_task as rescrub_stale_task
from respondents.freetext.tasks import scrub_responses_task as scrub_responses_task
from respondents.services import invitations
from respondents.services.cleaning import clean_wave, open_wave_ids
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
def send_invitation_task(invitation_id: int, kind: invitations.MessageKind = "invitation") -> bool:
    # OSError covers SMTP and network failures, raised as MailDeliveryError (an OSError
    # whose text names no address); the send is idempotent, so a retry is safe.
    return invitations.send_invitation(invitation_id, kind=kind)


@shared_task(name="respondents.send_reminders", acks_late=True)
def send_reminders_task() -> int:
    return invitations.send_reminders()


@shared_task(name="respondents.send_unsent_invitations", acks_late=True)
def send_unsent_invitations_task() -> int:
    return invitations.send_unsent_invitations()


@shared_task(name="respondents.destroy_expired_fingerprint_keys", acks_late=True)
def destroy_expired_fingerprint_keys_task() -> int:
    # Idempotent: a second run finds the keys already empty.
    return destroy_expired_fingerprint_keys()


@shared_task(name="respondents.close_overdue_waves", acks_late=True)
def close_overdue_waves_task() -> int:
    return len(close_overdue_waves())
