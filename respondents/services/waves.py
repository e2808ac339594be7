"""Wave lifecycle: open_wave, state transitions, open links and recruitment channels.

States move draft -> open -> closed -> archived. A closed wave may reopen (fieldwork is
often extended by a week) as long as its fingerprint key still exists: after the key is
destroyed, new fingerprints could not be compared with the old ones, so duplicate checks
across the two fieldwork periods would silently fail. Archived is final.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from respondents.fingerprints import new_encrypted_key
from respondents.models import Wave, WaveState
from surveys.models import QuestionnaireVersion, Study

# A channel is a short label a researcher puts in the link (?src=tg_meduza): lower-case
# letters, digits, dot, dash and underscore, so it is safe in URLs, files and exports.
CHANNEL_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
CHANNEL_MAX_LENGTH = 64
# 12 random bytes: a 16-character slug nobody can guess from the study or wave name.
SLUG_BYTES = 12

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    WaveState.DRAFT: frozenset({WaveState.OPEN}),
    WaveState.OPEN: frozenset({WaveState.CLOSED}),
    WaveState.CLOSED: frozenset({WaveState.OPEN, WaveState.ARCHIVED}),
    WaveState.ARCHIVED: frozenset(),
}

ERROR_VERSION_NOT_PUBLISHED = "Version {version} is a draft; publish it before opening a wave."
ERROR_VERSION_OTHER_STUDY = "Version {version} belongs to another study than {study}."
ERROR_NAME_EMPTY = "A wave needs a name."
ERROR_NAME_TAKEN = "Study {study} already has a wave named {name!r}."
ERROR_CHANNEL_FORMAT = (
    "Channel {channel!r} must be 1-64 lower-case letters, digits, '.', '-' or '_', "
    "starting with a letter or digit."
)
ERROR_CHANNEL_NOT_LISTED = "Channel {channel!r} is not one of this wave's channels."
ERROR_TRANSITION = "Wave {wave} cannot go from {current} to {target}."
ERROR_KEY_DESTROYED = (
    "Wave {wave} cannot reopen: its fingerprint key was destroyed, so new responses could "
    "not be checked for duplicates against the earlier ones."
)


def validate_channel(wave: Wave | None, raw_channel: str) -> str:
    """The channel name, normalised; ValidationError if malformed or not in wave.channels."""
    channel = raw_channel.strip().lower()
    if len(channel) > CHANNEL_MAX_LENGTH or not CHANNEL_PATTERN.fullmatch(channel):
        raise ValidationError(ERROR_CHANNEL_FORMAT.format(channel=raw_channel[:80]))
    if wave is not None and wave.channels and channel not in wave.channels:
        raise ValidationError(ERROR_CHANNEL_NOT_LISTED.format(channel=channel))
    return channel


def clean_channel(wave: Wave, raw_channel: str) -> str:
    """The channel to record for a ?src= value; "" (unknown) when absent or invalid.

    A mangled or unlisted channel must not lock a respondent out of the survey, so it is
    recorded as unknown rather than refused.
    """
    if not raw_channel:
        return ""
    try:
        return validate_channel(wave, raw_channel)
    except ValidationError:
        return ""


def open_link(wave: Wave, channel: str = "") -> str:
    """The public link of the wave, optionally tagged with a recruitment channel."""
    link = f"{settings.SITE_URL}/s/{wave.slug}/"
    if channel:
        link += "?" + urlencode({"src": validate_channel(wave, channel)})
    return link


def _check_version(study: Study, version: QuestionnaireVersion) -> None:
    if version.questionnaire.study_id != study.pk:
        raise ValidationError(
            ERROR_VERSION_OTHER_STUDY.format(version=version.pk, study=study.slug)
        )
    if not version.is_frozen:
        raise ValidationError(ERROR_VERSION_NOT_PUBLISHED.format(version=version.pk))


@transaction.atomic
def open_wave(
    study: Study,
    version: QuestionnaireVersion,
    name: str,
    *,
    channels: Iterable[str] = (),
    closes_at: datetime | None = None,
) -> Wave:
    """Create a wave of a published version and open it for responses at once."""
    _check_version(study, version)
    clean_name = name.strip()
    if not clean_name:
        raise ValidationError(ERROR_NAME_EMPTY)
    channel_list = sorted({validate_channel(None, channel) for channel in channels})
    now = timezone.now()
    wave = Wave(
        study=study,
        version=version,
        name=clean_name,
        slug=secrets.token_urlsafe(SLUG_BYTES),
        state=WaveState.OPEN,
        opens_at=now,
        closes_at=closes_at,
        channels=channel_list,
        fingerprint_key=new_encrypted_key(),
    )
    # Uniqueness is left to the database constraint below, which also holds under races.
    wave.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            wave.save()
    except IntegrityError:
        raise ValidationError(ERROR_NAME_TAKEN.format(study=study.slug, name=clean_name)) from None
    return wave


@transaction.atomic
def change_wave_state(wave: Wave, target: str, *, now: datetime | None = None) -> Wave:
    """Move the wave to `target` if ALLOWED_TRANSITIONS permits; returns the fresh row."""
    locked = Wave.objects.select_for_update().get(pk=wave.pk)
    if target not in ALLOWED_TRANSITIONS[locked.state]:
        raise ValidationError(
            ERROR_TRANSITION.format(wave=locked.pk, current=locked.state, target=target)
        )
    moment = now or timezone.now()
    fields = ["state"]
    if target == WaveState.OPEN:
        if locked.fingerprint_key_destroyed_at is not None:
            raise ValidationError(ERROR_KEY_DESTROYED.format(wave=locked.pk))
        if locked.state == WaveState.DRAFT:
            locked.opens_at = moment
            locked.fingerprint_key = locked.fingerprint_key or new_encrypted_key()
            fields += ["opens_at", "fingerprint_key"]
        # Reopening clears the close time, which would otherwise refuse new starts.
        locked.closes_at = None
        fields.append("closes_at")
    if target == WaveState.CLOSED:
        # The fingerprint retention period counts from here.
        locked.closes_at = moment
        fields.append("closes_at")
    locked.state = target
    locked.save(update_fields=fields)
    return locked


def close_wave(wave: Wave) -> Wave:
    return change_wave_state(wave, WaveState.CLOSED)


def is_accepting_responses(wave: Wave, *, now: datetime | None = None) -> bool:
    """Open, and not past a scheduled close time."""
    moment = now or timezone.now()
    if wave.state != WaveState.OPEN:
        return False
    return wave.closes_at is None or wave.closes_at > moment
