"""Wave lifecycle: create_wave, open_wave, state transitions, open links and channels.

States move draft -> open -> closed -> archived, only through change_wave_state.
`create_wave` makes a draft (set up, invisible to respondents, no fingerprint key yet);
opening it starts fieldwork; `open_wave` (the scripting contract) does both at once. A
closed wave may reopen (fieldwork is often extended by a week) as long as its fingerprint
key still exists: after the key is destroyed, new fingerprints could not be compared with
the old ones, so duplicate checks across the two fieldwork periods would silently fail.
Archived is final.

Closing (or archiving) ends every web response still in progress as "abandoned", in the
same transaction as the state change: a break-off then keeps its answers and paradata and
counts as a partial in exports and figures, instead of waiting forever "in progress".
Reopening gives those break-offs back to their respondents (see _resume_break_offs).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.inputerrors import InputError
from config.links import site_link
from respondents.fingerprints import new_encrypted_key
from respondents.models import Response, ResponseStatus, Wave, WaveState
from surveys.formspec import DEFAULT_LANGUAGE
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
ERROR_CLOSES_IN_PAST = "Wave {wave} cannot open: its close time {closes_at} has passed."
ERROR_KEY_DESTROYED = (
    "Wave {wave} cannot reopen: its fingerprint key was destroyed, so new responses could "
    "not be checked for duplicates against the earlier ones."
)


def validate_channel(wave: Wave | None, raw_channel: str) -> str:
    """The channel name, normalised; ValidationError if malformed or not in wave.channels."""
    channel = raw_channel.strip().lower()
    if len(channel) > CHANNEL_MAX_LENGTH or not CHANNEL_PATTERN.fullmatch(channel):
        raise InputError(ERROR_CHANNEL_FORMAT.format(channel=raw_channel[:80]), field="channels")
    if wave is not None and wave.channels and channel not in wave.channels:
        raise InputError(ERROR_CHANNEL_NOT_LISTED.format(channel=channel), field="channels")
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
    link = site_link(f"/s/{wave.slug}/")
    if channel:
        link += "?" + urlencode({"src": validate_channel(wave, channel)})
    return link


def find_version(study: Study, version_id: int) -> QuestionnaireVersion | None:
    """The study's version with this id; None both for an unknown id and for another
    study's version, so a caller cannot learn which ids exist in other studies."""
    return (
        QuestionnaireVersion.objects.filter(pk=version_id, questionnaire__study=study)
        .select_related("questionnaire")
        .first()
    )


def _check_version(study: Study, version: QuestionnaireVersion) -> None:
    if version.questionnaire.study_id != study.pk:
        raise InputError(
            ERROR_VERSION_OTHER_STUDY.format(version=version.pk, study=study.slug), field="version"
        )
    if not version.is_frozen:
        raise InputError(ERROR_VERSION_NOT_PUBLISHED.format(version=version.pk), field="version")


@transaction.atomic
def create_wave(
    study: Study,
    version: QuestionnaireVersion,
    name: str,
    *,
    channels: Iterable[str] = (),
    closes_at: datetime | None = None,
) -> Wave:
    """Create a draft wave of a published version; open it with change_wave_state."""
    _check_version(study, version)
    clean_name = name.strip()
    if not clean_name:
        raise InputError(ERROR_NAME_EMPTY, field="name")
    channel_list = sorted({validate_channel(None, channel) for channel in channels})
    # No fingerprint key yet: it is made when the wave opens (change_wave_state), so a
    # draft that never opens leaves no key behind.
    wave = Wave(
        study=study,
        version=version,
        name=clean_name,
        slug=secrets.token_urlsafe(SLUG_BYTES),
        state=WaveState.DRAFT,
        closes_at=closes_at,
        channels=channel_list,
    )
    # Uniqueness is left to the database constraint below, which also holds under races.
    wave.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            wave.save()
    except IntegrityError:
        raise InputError(
            ERROR_NAME_TAKEN.format(study=study.slug, name=clean_name), field="name"
        ) from None
    return wave


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
    draft = create_wave(study, version, name, channels=channels, closes_at=closes_at)
    return change_wave_state(draft, WaveState.OPEN)


def _abandon_in_progress(wave: Wave) -> int:
    # A queryset update: answers, paradata and current_page stay as the respondent left
    # them; only the status says the response will not be finished.
    return Response.objects.filter(wave=wave, status=ResponseStatus.IN_PROGRESS).update(
        status=ResponseStatus.ABANDONED
    )


def _resume_break_offs(wave: Wave) -> int:
    # Only closing makes a web response abandoned (imported ones, with a source_id, were
    # collected elsewhere and can never be resumed here), so on reopening each break-off
    # goes back to its respondent, whose link then continues where they stopped.
    return Response.objects.filter(
        wave=wave, status=ResponseStatus.ABANDONED, source_id__isnull=True
    ).update(status=ResponseStatus.IN_PROGRESS)


@transaction.atomic
def change_wave_state(wave: Wave, target: str, *, now: datetime | None = None) -> Wave:
    """Move the wave to `target` if ALLOWED_TRANSITIONS permits; returns the fresh row."""
    locked = Wave.objects.select_for_update().get(pk=wave.pk)
    if target not in ALLOWED_TRANSITIONS[locked.state]:
        raise InputError(
            ERROR_TRANSITION.format(wave=locked.pk, current=locked.state, target=target),
            field="state",
        )
    moment = now or timezone.now()
    fields = ["state"]
    if target == WaveState.OPEN:
        fields += _open_fields(locked, moment)
    if target == WaveState.CLOSED:
        # The fingerprint retention period counts from here.
        locked.closes_at = moment
        fields.append("closes_at")
    if target in (WaveState.CLOSED, WaveState.ARCHIVED):
        _abandon_in_progress(locked)
    locked.state = target
    locked.save(update_fields=fields)
    return locked


def _open_fields(wave: Wave, moment: datetime) -> list[str]:
    """Prepare `wave` (locked) to open; returns the fields changed besides the state."""
    if wave.fingerprint_key_destroyed_at is not None:
        raise InputError(ERROR_KEY_DESTROYED.format(wave=wave.pk), field="state")
    _offer_version_languages(wave)
    if wave.state == WaveState.DRAFT:
        # A draft's scheduled close stays; one already past would open a wave that refuses
        # every respondent.
        if wave.closes_at is not None and wave.closes_at <= moment:
            raise InputError(
                ERROR_CLOSES_IN_PAST.format(wave=wave.pk, closes_at=wave.closes_at.isoformat()),
                field="state",
            )
        wave.opens_at = moment
        wave.fingerprint_key = wave.fingerprint_key or new_encrypted_key()
        return ["opens_at", "fingerprint_key"]
    # Reopening clears the close time, which would otherwise refuse new starts.
    wave.closes_at = None
    _resume_break_offs(wave)
    return ["closes_at"]


def _offer_version_languages(wave: Wave) -> None:
    """The study's language switch offers every language the wave's version has (a form
    without language columns has only DEFAULT_LANGUAGE, which offers nothing new)."""
    study = Study.objects.select_for_update().get(pk=wave.study_id)
    version_languages = QuestionnaireVersion.objects.get(pk=wave.version_id).languages
    offered = list(study.languages)
    for code in version_languages:
        if code != DEFAULT_LANGUAGE and code not in offered:
            offered.append(code)
    if offered != list(study.languages):
        study.languages = offered
        study.save(update_fields=["languages"])


def close_wave(wave: Wave) -> Wave:
    return change_wave_state(wave, WaveState.CLOSED)


def close_overdue_waves(*, now: datetime | None = None) -> list[int]:
    """Close every open wave whose scheduled close time has passed; returns their ids.

    Such a wave already refuses new answers (is_accepting_responses), but until it is
    closed its break-offs stay in progress, left out of exports and counted as partials.
    The close time recorded stays the scheduled one: the fingerprint retention counts from
    when answering ended, not from when this sweep ran.
    """
    moment = now or timezone.now()
    due = Wave.objects.filter(state=WaveState.OPEN, closes_at__lte=moment).order_by("pk")
    closed = []
    for wave_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            wave = Wave.objects.select_for_update().get(pk=wave_id)
            # Reopened or rescheduled since the query: not overdue any more.
            if wave.state != WaveState.OPEN or wave.closes_at is None or wave.closes_at > moment:
                continue
            change_wave_state(wave, WaveState.CLOSED, now=wave.closes_at)
        closed.append(wave_id)
    return closed


def is_accepting_responses(wave: Wave, *, now: datetime | None = None) -> bool:
    """Open, and not past a scheduled close time."""
    moment = now or timezone.now()
    if wave.state != WaveState.OPEN:
        return False
    return wave.closes_at is None or wave.closes_at > moment
