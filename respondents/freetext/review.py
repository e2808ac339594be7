"""Review before release: owners and fieldwork managers restore a false replacement or
redact a further span of a scrubbed answer, with a reason. Decisions are stored (never
deleted; taken back by revoking), applied to the stored scrub at once, and again whenever the
answer is scrubbed anew, so every later export releases them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from respondents.freetext.decisions import active_decisions, apply_decisions
from respondents.freetext.models import DecisionAction, FreeTextDecision, ScrubbedAnswer
from respondents.freetext.scrub import clean
from respondents.freetext.scrub.spans import Span, resolve
from respondents.freetext.services import answer_text, digest, free_text_keys, text_answers
from respondents.models import Response, Wave

REVIEW_PAGE_SIZE = 50
MAX_REASON = 500


class ReviewError(ValueError):
    """A decision that cannot be taken; the message says why."""


def _spans(stored: ScrubbedAnswer) -> list[Span]:
    return [Span(int(s), int(e), str(k)) for s, e, k in stored.spans]


def _source(response: Response, key: str) -> str:
    # text_answers also finds a roster entry's answer (its key is `item#entry`).
    return clean(answer_text(dict(text_answers(response.answers or {}, [key])).get(key)))[0]


def reapply(stored: ScrubbedAnswer, source: str) -> None:
    """Recompute the stored text and counts from the scrub and the active decisions."""
    if stored.refused:
        return
    decisions = [
        (d.action, d.start, d.end)
        for d in active_decisions([(stored.response_id, stored.key)]).get(
            (stored.response_id, stored.key), []
        )
        if d.digest == stored.digest
    ]
    stored.text, stored.found = apply_decisions(source, _spans(stored), decisions)
    stored.save(update_fields=["text", "found"])


def _stored_for_update(response_id: int, key: str) -> tuple[ScrubbedAnswer, str]:
    stored = (
        ScrubbedAnswer.objects.select_for_update()
        .select_related("response")
        .filter(response_id=response_id, key=key)
        .first()
    )
    if stored is None:
        raise ReviewError("this answer has not been scrubbed yet; try again in a minute")
    if stored.refused:
        raise ReviewError("this answer is withheld whole (too long or unreadable)")
    source = _source(stored.response, key)
    if digest(answer_text((stored.response.answers or {}).get(key))) != stored.digest:
        raise ReviewError("this answer changed since it was scrubbed; try again in a minute")
    return stored, source


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReviewError("a reason is required")
    if len(reason) > MAX_REASON:
        raise ReviewError(f"the reason is longer than {MAX_REASON} characters")
    return reason


@transaction.atomic
def restore(
    response_id: int, key: str, start: int, end: int, reason: str, user: User
) -> FreeTextDecision:
    """Undo one replacement the scrubber made (a false hit)."""
    reason = _check_reason(reason)
    stored, source = _stored_for_update(response_id, key)
    if not any(s.start == start and s.end == end for s in _spans(stored)):
        raise ReviewError("no replacement at that place in this answer")
    decision = _record(stored, DecisionAction.RESTORE, start, end, reason, user)
    reapply(stored, source)
    return decision


@transaction.atomic
def redact(
    response_id: int, key: str, phrase: str, reason: str, user: User
) -> list[FreeTextDecision]:
    """Redact every occurrence of `phrase` (as written in the answer) that the scrubber
    missed."""
    reason = _check_reason(reason)
    phrase = phrase.strip()
    if not phrase:
        raise ReviewError("type the words to redact, as they appear in the answer")
    stored, source = _stored_for_update(response_id, key)
    starts = []
    at = source.find(phrase)
    while at >= 0:
        starts.append(at)
        at = source.find(phrase, at + len(phrase))
    if not starts:
        raise ReviewError("those words do not appear in this answer")
    decisions = [
        _record(stored, DecisionAction.REDACT, s, s + len(phrase), reason, user) for s in starts
    ]
    reapply(stored, source)
    return decisions


@transaction.atomic
def revoke(decision_id: int, study_id: int, user: User) -> FreeTextDecision:
    decision = (
        FreeTextDecision.objects.select_for_update()
        .filter(pk=decision_id, response__wave__study_id=study_id, revoked_at=None)
        .first()
    )
    if decision is None:
        raise ReviewError("no such decision, or it was revoked already")
    decision.revoked_at = timezone.now()
    decision.revoked_by = user
    decision.save(update_fields=["revoked_at", "revoked_by"])
    stored, source = _stored_for_update(decision.response_id, decision.key)
    reapply(stored, source)
    return decision


def _record(
    stored: ScrubbedAnswer,
    action: DecisionAction,
    start: int,
    end: int,
    reason: str,
    user: User,
) -> FreeTextDecision:
    return FreeTextDecision.objects.create(
        response_id=stored.response_id,
        key=stored.key,
        action=action,
        start=start,
        end=end,
        reason=reason,
        digest=stored.digest,
        decided_by=user,
        decided_at=timezone.now(),
    )


@dataclass(frozen=True)
class Segment:
    text: str
    # "" for plain text; else the kind replaced ("NAME", "REDACTED", ...).
    kind: str
    start: int
    end: int
    # A replacement a reviewer restored (shown struck through, with the decision).
    restored: bool = False


@dataclass(frozen=True)
class ReviewRow:
    response_id: int
    key: str
    wave: str
    segments: list[Segment]
    released: str
    found: dict[str, int]
    decisions: list[FreeTextDecision]
    refused: str


def segments(
    source: str, spans: Sequence[Span], restored: Sequence[tuple[int, int]]
) -> list[Segment]:
    out, pos = [], 0
    marks = sorted(
        [(s.start, s.end, s.kind, False) for s in spans]
        + [
            (a, b, "", True)
            for a, b in restored
            if not any(s.start == a and s.end == b for s in spans)
        ]
    )
    for start, end, kind, restored_here in marks:
        if start < pos:
            continue
        if start > pos:
            out.append(Segment(source[pos:start], "", pos, start))
        out.append(Segment(source[start:end], kind, start, end, restored=restored_here))
        pos = end
    if pos < len(source):
        out.append(Segment(source[pos:], "", pos, len(source)))
    return out


def review_rows(
    study_id: int,
    *,
    key: str = "",
    wave_id: int | None = None,
    kind: str = "",
    page: int = 1,
) -> tuple[list[ReviewRow], bool]:
    """A page of the study's scrubbed answers, newest first; and whether more follow."""
    rows = ScrubbedAnswer.objects.filter(response__wave__study_id=study_id).select_related(
        "response", "response__wave"
    )
    if key:
        rows = rows.filter(key=key)
    if wave_id:
        rows = rows.filter(response__wave_id=wave_id)
    if kind == "none":
        rows = rows.filter(found={})
    elif kind:
        rows = rows.filter(found__has_key=kind)
    start = (max(page, 1) - 1) * REVIEW_PAGE_SIZE
    chunk = list(rows.order_by("-response_id", "key")[start : start + REVIEW_PAGE_SIZE + 1])
    more = len(chunk) > REVIEW_PAGE_SIZE
    chunk = chunk[:REVIEW_PAGE_SIZE]
    decided = active_decisions((s.response_id, s.key) for s in chunk)
    out = []
    for stored in chunk:
        source = _source(stored.response, stored.key)
        decisions = decided.get((stored.response_id, stored.key), [])
        spans = _spans(stored) + [
            Span(d.start, d.end, "REDACTED") for d in decisions if d.action == DecisionAction.REDACT
        ]
        restored = [(d.start, d.end) for d in decisions if d.action == DecisionAction.RESTORE]
        shown = [s for s in resolve(spans) if (s.start, s.end) not in restored]
        out.append(
            ReviewRow(
                response_id=stored.response_id,
                key=stored.key,
                wave=stored.response.wave.name,
                segments=[] if stored.refused else segments(source, shown, restored),
                released=stored.text,
                found=dict(stored.found),
                decisions=decisions,
                refused=stored.refused,
            )
        )
    return out, more


def study_keys(study_id: int) -> list[str]:
    """The free-text answer keys of the study's waves, for the filter."""
    versions = Wave.objects.filter(study_id=study_id).values_list("version_id", flat=True)
    keys: list[str] = []
    for version_id in sorted(set(versions)):
        keys += [k for k in free_text_keys(version_id) if k not in keys]
    return keys
