"""Reviewers' decisions applied to a scrub (see review.py): shared by the review page and
by every later scrub of the same answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import F

from config.anyof import AnyOf
from respondents.freetext.models import DecisionAction, FreeTextDecision
from respondents.freetext.scrub.spans import Span, replace, resolve


def apply_decisions(
    source: str, spans: Iterable[Span], decisions: Iterable[tuple[str, int, int]]
) -> tuple[str, dict[str, int]]:
    """The released text and counts: the scrubber's spans, less those a reviewer restored,
    plus the spans a reviewer redacted. `decisions`: (action, start, end)."""
    kept = list(spans)
    for action, start, end in decisions:
        if action == DecisionAction.RESTORE:
            kept = [s for s in kept if not (s.start < end and start < s.end)]
    for action, start, end in decisions:
        if action == DecisionAction.REDACT and 0 <= start < end <= len(source):
            kept.append(Span(start, end, "REDACTED"))
    final = resolve(kept)
    return replace(source, final), dict(Counter(s.kind for s in final))


def active_decisions(
    pairs: Iterable[tuple[int, str]],
) -> dict[tuple[int, str], list[FreeTextDecision]]:
    wanted = list(pairs)
    out: dict[tuple[int, str], list[FreeTextDecision]] = {}
    if not wanted:
        return out
    ids = {pk for pk, _ in wanted}
    keys = {key for _, key in wanted}
    for decision in FreeTextDecision.objects.filter(
        AnyOf(F("response_id"), ids), key__in=keys, revoked_at=None
    ).order_by("decided_at", "pk"):
        out.setdefault((decision.response_id, decision.key), []).append(decision)
    return out
