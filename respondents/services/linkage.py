"""Linking returners who came back through the open link: link_returners and its decisions.

Who is compared: the wave's completed open-link responses that no invitation, panel key or
earlier decision already ties to a person, against every person seen in an earlier wave of
the study, by each of their earlier responses (the best level per item counts; a link names
their latest response). On what: the stable items the study marks with a
`stable` column in its XLSForm (or those named), asked in this wave and in every earlier one.
The model is respondents/linkage/matching.py (docs/methods.md 11).

Nothing is linked silently. A candidate at or above REVIEW_FLOOR is stored for review; one at
or above `accept_above` (only when the caller asks) is linked at once and recorded as
"accepted". A link moves the response to the earlier person's PanelMember (made for them
when they had none), keeps the member it had before, and can be undone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from respondents.linkage.matching import (
    Candidate,
    ItemComparison,
    LinkageModel,
    Linker,
)
from respondents.models import (
    LinkDecision,
    LinkHow,
    LinkStatus,
    PanelMember,
    Response,
    ResponseLink,
    ResponseStatus,
    Wave,
)
from respondents.services.panel_signup import new_pseudonym
from surveys.models import Question, QuestionType

# Below this posterior a candidate is not worth a reviewer's minute.
REVIEW_FLOOR = 0.5
STABLE_COLUMN = "stable"
STABLE_VALUES = ("yes", "true", "1", "stable")
NUMERIC_TYPES = (QuestionType.INTEGER, QuestionType.DECIMAL)

ERROR_NO_STABLE = (
    "wave {wave}: no stable items to compare; mark them with a 'stable' column (yes) in the "
    "XLSForm, or name them with --on"
)
ERROR_NOT_IN_WAVE = (
    "stable item {item!r} is not asked in wave {wave} ({name}); link on items every wave asks"
)
ERROR_NO_EARLIER = "wave {wave} has no earlier wave in its study to link to"
ERROR_PROBABILITY = "--accept-above must be between 0 and 1 (got {value})"
ERROR_DECIDED = "link {link} is already {status}"
ERROR_NOT_LINKED = "link {link} is not linked, so it cannot be undone"
ERROR_REASON = "give a reason for the decision"
ERROR_NOT_REJECTED = "link {link} is not rejected, so it cannot be reconsidered"
ERROR_DECISION = "a decision is accept or reject (got {value!r})"
DECISIONS = ("accept", "reject")


@dataclass(frozen=True)
class LinkageRun:
    wave_id: int
    items: tuple[str, ...]
    compared: int
    earlier_people: int
    candidates: int
    linked: int
    model: LinkageModel | None


def earlier_waves(wave: Wave) -> list[Wave]:
    waves = Wave.objects.filter(study_id=wave.study_id).exclude(pk=wave.pk)
    return [
        other
        for other in waves.order_by("opens_at", "created_at", "pk")
        if _fielded_before(other, wave)
    ]


def _fielded_before(other: Wave, wave: Wave) -> bool:
    if other.opens_at and wave.opens_at:
        return other.opens_at < wave.opens_at
    return other.created_at < wave.created_at


def stable_items(wave: Wave) -> list[str]:
    """The items the wave's questionnaire marks stable, in questionnaire order."""
    return stable_items_of_version(wave.version_id)


def stable_items_of_version(version_id: int) -> list[str]:
    questions = Question.objects.filter(version_id=version_id).order_by("position")
    return [
        q.name for q in questions if str(q.extra.get(STABLE_COLUMN, "")).lower() in STABLE_VALUES
    ]


def _comparisons(wave: Wave, waves: Sequence[Wave], names: Sequence[str]) -> list[ItemComparison]:
    """Each named item must be asked in every wave; numeric when its codes are numbers."""
    if not names:
        raise ValidationError(ERROR_NO_STABLE.format(wave=wave.pk))
    comparisons = []
    for name in names:
        numeric = True
        for each in (wave, *waves):
            question = (
                Question.objects.filter(version_id=each.version_id, name=name)
                .select_related("choice_list")
                .first()
            )
            if question is None:
                raise ValidationError(
                    ERROR_NOT_IN_WAVE.format(item=name, wave=each.pk, name=each.name)
                )
            numeric = numeric and _is_numeric(question)
        comparisons.append(ItemComparison(name=name, numeric=numeric))
    return comparisons


def _is_numeric(question: Question) -> bool:
    if question.type in NUMERIC_TYPES:
        return True
    if question.type != QuestionType.SELECT_ONE or question.choice_list is None:
        return False
    names = question.choice_list.choices.values_list("name", flat=True)
    return all(_as_number(name) is not None for name in names)


def _as_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _matrix(
    answers: Iterable[dict[str, Any]], items: Sequence[ItemComparison]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Answers as numbers: numeric items by value, others by a code shared by all rows (so
    the later and the earlier answers must go through one call)."""
    rows = list(answers)
    out = np.full((len(rows), len(items)), np.nan)
    for column, item in enumerate(items):
        codes: dict[str, int] = {}
        for row, answer in enumerate(rows):
            value = answer.get(item.name)
            if value is None or value == "" or isinstance(value, list):
                continue
            if item.numeric:
                number = _as_number(value)
                out[row, column] = np.nan if number is None else number
            else:
                out[row, column] = codes.setdefault(str(value), len(codes))
    return out


def _compared(
    later: Sequence[Response], people: Sequence[Sequence[Response]], items: Sequence[ItemComparison]
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]:
    """The later answers (responses x items) and each person's earlier answers (waves x
    people x items, NaN where a person has fewer responses), coded together."""
    records = [response for responses in people for response in responses]
    coded = _matrix((r.answers for r in (*later, *records)), items)
    layers = max(len(responses) for responses in people)
    history = np.full((layers, len(people), len(items)), np.nan)
    row = len(later)
    for person, responses in enumerate(people):
        for layer in range(len(responses)):
            history[layer, person] = coded[row]
            row += 1
    return coded[: len(later)], history


def _unlinked(wave: Wave) -> list[Response]:
    """Completed open-link responses not tied to anyone from an earlier wave."""
    return list(
        Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETED, invitation__isnull=True)
        .filter(Q(member__isnull=True) | Q(member__recruited_in=wave))
        .filter(member__panel_key_hash__isnull=True)
        .exclude(link__status__in=(LinkStatus.LINKED, LinkStatus.REJECTED))
        .order_by("pk")
    )


def _earlier_people(waves: Sequence[Wave]) -> list[list[Response]]:
    """Each earlier person's responses, latest first (a response without a member is its own
    person)."""
    by_person: dict[str, list[Response]] = {}
    rows = Response.objects.filter(wave__in=list(waves), status=ResponseStatus.COMPLETED).order_by(
        "-started_at", "-pk"
    )
    for response in rows.iterator(chunk_size=2000):
        key = f"m{response.member_id}" if response.member_id else f"r{response.pk}"
        by_person.setdefault(key, []).append(response)
    return list(by_person.values())


def run_linkage(
    wave: Wave,
    *,
    on: Sequence[str] | None = None,
    accept_above: float | None = None,
) -> LinkageRun:
    """Score the wave's unlinked responses; store candidates; link those above accept_above."""
    if accept_above is not None and not 0 <= accept_above <= 1:
        raise ValidationError(ERROR_PROBABILITY.format(value=accept_above))
    waves = earlier_waves(wave)
    if not waves:
        raise ValidationError(ERROR_NO_EARLIER.format(wave=wave.pk))
    items = _comparisons(wave, waves, list(on) if on else stable_items(wave))
    later, earlier = _unlinked(wave), _earlier_people(waves)
    if not later or not earlier:
        return LinkageRun(
            wave.pk, tuple(i.name for i in items), len(later), len(earlier), 0, 0, None
        )
    later_answers, history = _compared(later, earlier, items)
    linker = Linker(items, later_answers, history)
    model = linker.fit()
    candidates = linked = 0
    for found in _one_per_person(linker.best_candidates()):
        link = _store_candidate(
            later[found.later_index],
            earlier[found.earlier_index][0],
            found.probability,
            found.second_probability,
        )
        if link is None:
            continue
        candidates += 1
        if accept_above is not None and found.probability >= accept_above:
            link_response(link, how=LinkHow.ACCEPTED, user=None, reason="above --accept-above")
            linked += 1
    return LinkageRun(
        wave.pk, tuple(i.name for i in items), len(later), len(earlier), candidates, linked, model
    )


def _one_per_person(found: Iterable[Candidate]) -> list[Candidate]:
    """Above the review floor, and one later response per earlier person: a person answers
    a wave once, so two responses claiming the same person cannot both be them."""
    best: dict[int, Candidate] = {}
    for candidate in found:
        if candidate.probability < REVIEW_FLOOR:
            continue
        current = best.get(candidate.earlier_index)
        if current is None or candidate.probability > current.probability:
            best[candidate.earlier_index] = candidate
    return sorted(best.values(), key=lambda c: -c.probability)


@transaction.atomic
def _store_candidate(
    response: Response, earlier: Response, probability: float, second: float
) -> ResponseLink | None:
    """A fresh candidate replaces an undecided or undone one; decisions stay. The row is
    reused, not replaced, so the decisions already taken on it stay with it."""
    existing = ResponseLink.objects.select_for_update().filter(response=response).first()
    if existing is not None and existing.status in (LinkStatus.LINKED, LinkStatus.REJECTED):
        return None
    link = existing or ResponseLink(response=response)
    link.earlier_response = earlier
    link.probability = round(probability, 6)
    link.second_probability = round(second, 6)
    link.status = LinkStatus.CANDIDATE
    link.how, link.decided_by, link.decided_at, link.reason = "", None, None, ""
    link.save()
    return link


@transaction.atomic
def link_response(
    link: ResponseLink,
    *,
    how: LinkHow,
    user: AbstractBaseUser | None,
    reason: str = "",
) -> ResponseLink:
    """Make the later response the earlier person's: one person across waves."""
    locked = ResponseLink.objects.select_for_update().get(pk=link.pk)
    if locked.status in (LinkStatus.LINKED, LinkStatus.REJECTED):
        raise ValidationError(ERROR_DECIDED.format(link=locked.pk, status=locked.status))
    response = Response.objects.select_for_update(of=("self",)).get(pk=locked.response_id)
    earlier = (
        Response.objects.select_for_update(of=("self",))
        .select_related("wave")
        .get(pk=locked.earlier_response_id)
    )
    person = _member_of(earlier)
    locked.previous_member_id = response.member_id
    if response.member_id is not None and response.member_id != person.pk:
        # The newcomer record made when they joined the panel again is retired, not deleted:
        # invitations go to the earlier member while it is active (services/contacts.py).
        PanelMember.objects.filter(pk=response.member_id).update(possible_duplicate_of=person)
    response.member = person
    response.save(update_fields=["member", "updated_at"])
    _decide(locked, LinkStatus.LINKED, how=how, user=user, reason=reason)
    return locked


def _member_of(response: Response) -> PanelMember:
    """The earlier response's member, made for it when it had none (no contact: never invited)."""
    if response.member_id is not None:
        return PanelMember.objects.get(pk=response.member_id)
    member = PanelMember.objects.create(
        study_id=response.wave.study_id, pseudonym=new_pseudonym(), recruited_in=response.wave
    )
    response.member = member
    response.save(update_fields=["member", "updated_at"])
    return member


@transaction.atomic
def reject_link(link: ResponseLink, *, user: AbstractBaseUser | None, reason: str) -> ResponseLink:
    locked = ResponseLink.objects.select_for_update().get(pk=link.pk)
    if locked.status != LinkStatus.CANDIDATE:
        raise ValidationError(ERROR_DECIDED.format(link=locked.pk, status=locked.status))
    _decide(locked, LinkStatus.REJECTED, how=None, user=user, reason=reason)
    return locked


@transaction.atomic
def undo_link(link: ResponseLink, *, user: AbstractBaseUser | None, reason: str) -> ResponseLink:
    """Give the response back the member it had before the link."""
    if not reason.strip():
        raise ValidationError(ERROR_REASON)
    locked = ResponseLink.objects.select_for_update().get(pk=link.pk)
    if locked.status != LinkStatus.LINKED:
        raise ValidationError(ERROR_NOT_LINKED.format(link=locked.pk))
    Response.objects.filter(pk=locked.response_id).update(
        member_id=locked.previous_member_id, updated_at=timezone.now()
    )
    if locked.previous_member_id is not None:
        PanelMember.objects.filter(pk=locked.previous_member_id).update(possible_duplicate_of=None)
    _decide(locked, LinkStatus.UNLINKED, how=locked.how, user=user, reason=reason)
    return locked


@transaction.atomic
def reopen_link(link: ResponseLink, *, user: AbstractBaseUser | None, reason: str) -> ResponseLink:
    """Put a rejected pair back among the candidates; the rejection stays in its history."""
    if not reason.strip():
        raise ValidationError(ERROR_REASON)
    locked = ResponseLink.objects.select_for_update().get(pk=link.pk)
    if locked.status != LinkStatus.REJECTED:
        raise ValidationError(ERROR_NOT_REJECTED.format(link=locked.pk))
    _decide(locked, LinkStatus.CANDIDATE, how=None, user=user, reason=reason)
    return locked


@dataclass(frozen=True)
class Decided:
    linked: int
    rejected: int
    # Decided meanwhile by someone else (or a verified click): left as they are.
    skipped: int


def decide_links(
    wave: Wave,
    decisions: dict[int, str],
    *,
    user: AbstractBaseUser | None,
    reason: str,
) -> Decided:
    """A reviewer's decisions on many candidate pairs of the wave at once ("accept" or
    "reject" by link id); each is its own transaction, so one pair decided meanwhile by
    another reviewer does not undo the rest."""
    unknown = [value for value in decisions.values() if value not in DECISIONS]
    if unknown:
        raise ValidationError(ERROR_DECISION.format(value=unknown[0]))
    links = ResponseLink.objects.filter(pk__in=list(decisions), response__wave=wave)
    linked = rejected = skipped = 0
    for link in links.order_by("pk"):
        try:
            if decisions[link.pk] == "accept":
                link_response(link, how=LinkHow.REVIEWED, user=user, reason=reason)
                linked += 1
            else:
                reject_link(link, user=user, reason=reason)
                rejected += 1
        except ValidationError:
            skipped += 1
    return Decided(linked=linked, rejected=rejected, skipped=skipped)


def _decide(
    link: ResponseLink,
    status: LinkStatus,
    *,
    how: str | None,
    user: AbstractBaseUser | None,
    reason: str,
) -> None:
    link.status = status
    link.how = how or ""
    link.decided_by_id = user.pk if user is not None else None
    link.decided_at = timezone.now()
    link.reason = reason
    link.save(
        update_fields=["status", "how", "previous_member", "decided_by", "decided_at", "reason"]
    )
    LinkDecision.objects.create(
        link=link,
        earlier_response_id=link.earlier_response_id,
        status=status,
        how=link.how,
        probability=link.probability,
        decided_by_id=link.decided_by_id,
        decided_at=link.decided_at,
        reason=reason,
    )


REPORT_HEADER = ("source_id", "linked_source_id", "probability", "how")
ONLINE_SOURCE_PREFIX = "pw-"


def assign_source_ids(waves: Iterable[Wave]) -> int:
    """Responses collected online get a source id once, so reports can name them."""
    missing = Response.objects.filter(wave__in=list(waves), source_id__isnull=True)
    rows = list(missing.only("pk"))
    for response in rows:
        response.source_id = f"{ONLINE_SOURCE_PREFIX}{response.pk}"
    Response.objects.bulk_update(rows, ["source_id"], batch_size=2000)
    return len(rows)


def linkage_report(wave: Wave) -> list[tuple[str, str, str, str]]:
    """One row per response of the wave tied to a person seen in an earlier wave."""
    waves = earlier_waves(wave)
    assign_source_ids([wave, *waves])
    earlier = Response.objects.filter(
        wave__in=waves, status=ResponseStatus.COMPLETED, member__isnull=False
    ).order_by("started_at", "pk")
    # Later rows overwrite earlier ones: each member's most recent earlier response.
    earlier_by_member = {
        member_id: str(source_id)
        for member_id, source_id in earlier.values_list("member_id", "source_id")
    }
    links = {
        link.response_id: link
        for link in ResponseLink.objects.filter(response__wave=wave, status=LinkStatus.LINKED)
    }
    rows = []
    responses = Response.objects.filter(
        wave=wave, status=ResponseStatus.COMPLETED, member__isnull=False
    ).select_related("member")
    for response in responses.order_by("pk"):
        linked_source = earlier_by_member.get(response.member_id or 0)
        if linked_source is None:
            continue
        link = links.get(response.pk)
        if response.invitation_id is not None:
            how, probability = "invitation", ""
        elif link is not None:
            how = link.how
            probability = "" if link.probability is None else f"{link.probability:.4f}"
        elif response.member is not None and response.member.panel_key_hash:
            how, probability = "panel_key", ""
        else:
            continue
        rows.append((str(response.source_id), linked_source, probability, how))
    return rows
