"""Fieldwork figures of a wave, for the admin and the API.

Definitions:
- a complete is a response with status completed; a partial is one in progress or
  abandoned. Completes count on the day (UTC) they were completed, partials on the day they
  started;
- invited: invitations actually sent (a created but unsent invitation reached nobody);
- panel response rate: invited members with a completed response in the wave / invited
  (a panelist who answered through the open link instead still counts as responding);
- retention: of the members who completed the study's previous wave (by opening time),
  the share who completed this one; None for a study's first wave;
- median duration: median of completed_at - started_at over completes, in seconds.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from respondents.models import Invitation, Response, ResponseStatus, Wave

PARTIAL_STATUSES = (ResponseStatus.IN_PROGRESS, ResponseStatus.ABANDONED)


@dataclass(frozen=True)
class CountRow:
    """Completes and partials for one day, channel or language ("" = not recorded)."""

    key: str
    completes: int
    partials: int


@dataclass(frozen=True)
class WaveFigures:
    wave_id: int
    completes: int
    partials: int
    invited: int
    invited_completed: int
    panel_response_rate: float | None
    previous_wave_id: int | None
    previous_completers: int
    retained: int
    retention: float | None
    median_duration_seconds: float | None
    by_day: tuple[CountRow, ...]
    by_channel: tuple[CountRow, ...]
    by_language: tuple[CountRow, ...]


def _rows(completes: Counter[str], partials: Counter[str]) -> tuple[CountRow, ...]:
    keys = sorted(set(completes) | set(partials))
    return tuple(CountRow(key, completes[key], partials[key]) for key in keys)


def _day(moment: datetime | None) -> str:
    # Timestamps are stored in UTC (USE_TZ); the day is the UTC day.
    return moment.date().isoformat() if moment is not None else ""


def previous_wave(wave: Wave) -> Wave | None:
    """The study's wave opened (or, if never opened, created) just before this one."""
    earlier = Wave.objects.filter(study_id=wave.study_id).exclude(pk=wave.pk)
    if wave.opens_at is not None:
        earlier = earlier.filter(opens_at__lt=wave.opens_at)
    else:
        earlier = earlier.filter(created_at__lt=wave.created_at)
    return earlier.order_by("-opens_at", "-created_at", "-pk").first()


def _completers(wave: Wave) -> set[int]:
    return set(
        Response.objects.filter(
            wave=wave, status=ResponseStatus.COMPLETED, member__isnull=False
        ).values_list("member_id", flat=True)
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def wave_figures(wave: Wave) -> WaveFigures:
    """The wave's fieldwork figures; a handful of queries, one pass over its responses."""
    completes: dict[str, Counter[str]] = {"day": Counter(), "channel": Counter(), "lang": Counter()}
    partials: dict[str, Counter[str]] = {"day": Counter(), "channel": Counter(), "lang": Counter()}
    durations: list[float] = []
    rows = Response.objects.filter(wave=wave).values_list(
        "status", "channel", "language", "started_at", "completed_at"
    )
    for status, channel, language, started_at, completed_at in rows.iterator(chunk_size=5000):
        is_complete = status == ResponseStatus.COMPLETED
        target = completes if is_complete else partials
        target["day"][_day(completed_at if is_complete else started_at)] += 1
        target["channel"][channel] += 1
        target["lang"][language] += 1
        if is_complete and completed_at is not None:
            durations.append((completed_at - started_at).total_seconds())
    invited = Invitation.objects.filter(wave=wave, sent_at__isnull=False)
    invited_completed = invited.filter(
        Q(completed_at__isnull=False)
        | Exists(
            Response.objects.filter(
                wave=wave, member=OuterRef("member"), status=ResponseStatus.COMPLETED
            )
        )
    ).count()
    invited_count = invited.count()
    before = previous_wave(wave)
    earlier = _completers(before) if before is not None else set()
    retained = len(earlier & _completers(wave))
    return WaveFigures(
        wave_id=wave.pk,
        completes=sum(completes["channel"].values()),
        partials=sum(partials["channel"].values()),
        invited=invited_count,
        invited_completed=invited_completed,
        panel_response_rate=_rate(invited_completed, invited_count),
        previous_wave_id=before.pk if before is not None else None,
        previous_completers=len(earlier),
        retained=retained,
        retention=_rate(retained, len(earlier)) if before is not None else None,
        median_duration_seconds=statistics.median(durations) if durations else None,
        by_day=_rows(completes["day"], partials["day"]),
        by_channel=_rows(completes["channel"], partials["channel"]),
        by_language=_rows(completes["lang"], partials["lang"]),
    )
