"""A study's waves with their counts, and a wave's links: what the staff pages list.

Counts follow the fieldwork figures' definitions (services/figures.py): a complete is a
completed response, a partial one in progress or abandoned, and invited counts the
invitations actually sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from respondents.models import Invitation, Response, ResponseStatus, Wave
from respondents.services.waves import open_link
from surveys.models import Study


@dataclass(frozen=True)
class WaveLink:
    """The open link of a wave, untagged (channel "") or tagged with one channel."""

    channel: str
    url: str


def _count(queryset: QuerySet[Any]) -> Coalesce:
    # A subquery per count: joining responses and invitations at once would multiply rows.
    counted = queryset.order_by().values("wave").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def wave_count_annotations() -> dict[str, Coalesce]:
    """completes_count, partials_count and invited_count, for Wave.objects.annotate()."""
    responses = Response.objects.filter(wave=OuterRef("pk"))
    return {
        "completes_count": _count(responses.filter(status=ResponseStatus.COMPLETED)),
        "partials_count": _count(responses.exclude(status=ResponseStatus.COMPLETED)),
        "invited_count": _count(
            Invitation.objects.filter(wave=OuterRef("pk"), sent_at__isnull=False)
        ),
    }


def study_waves(study: Study) -> QuerySet[Wave]:
    """The study's waves in fielding order, each with its counts and its version."""
    return (
        Wave.objects.filter(study=study)
        .select_related("version__questionnaire")
        .annotate(**wave_count_annotations())
        .order_by("opens_at", "created_at", "pk")
    )


def wave_links(wave: Wave) -> list[WaveLink]:
    """The untagged open link first, then one link per channel of the wave."""
    links = [WaveLink("", open_link(wave))]
    links += [WaveLink(channel, open_link(wave, channel)) for channel in wave.channels]
    return links
