"""Reviewing returners in the staff workspace: candidates found by link_returners, each with
both responses' stable answers side by side (never contacts), accepted or rejected with a
reason; linked pairs undone; rejected pairs reconsidered; accepting every candidate above the
suggested threshold at once. Every card shows the link's history of decisions.

A page of candidates is one form: a reviewer ticks "same person" or "not the same" on each
pair (or leaves it for later) and saves the page with one click, so deciding a pair costs one
click and no page load (bench/review_pairs.py measures it).

Thin: access through surveys.workspace.access, work through respondents.services.linkage.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respondents.linkage.matching import SUGGESTED_ACCEPT
from respondents.models import (
    LinkDecision,
    LinkHow,
    LinkStatus,
    Response,
    ResponseLink,
    ResponseStatus,
    Wave,
)
from respondents.services.linkage import (
    DECISIONS,
    decide_links,
    earlier_waves,
    link_response,
    reject_link,
    reopen_link,
    stable_items,
    undo_link,
)
from respondents.services.linkage_requests import request_linkage
from surveys.access import Action
from surveys.models import Study
from surveys.workspace.access import study_page

PAIRS_PER_PAGE = 50
REVIEWED_REASON = "reviewed in the workspace"
# The batch form names each pair's choice "pair-<link id>".
PAIR_FIELD = "pair-"


def _wave(study: Study, wave_id: int) -> Wave:
    return get_object_or_404(Wave, pk=wave_id, study=study)


def _user(request: HttpRequest) -> AbstractBaseUser | None:
    return request.user if isinstance(request.user, AbstractBaseUser) else None


def _earlier_responses(wave: Wave, links: list[ResponseLink]) -> dict[int, list[Response]]:
    """Per link, every completed response of the earlier person in the waves before this one,
    latest first: the linker compares with all of them, so the reviewer sees all of them."""
    members = {link.earlier_response.member_id for link in links} - {None}
    by_member: dict[int, list[Response]] = {}
    if members:
        responses = (
            Response.objects.filter(
                member_id__in=members,
                wave__in=earlier_waves(wave),
                status=ResponseStatus.COMPLETED,
            )
            .select_related("wave")
            .order_by("-started_at", "-pk")
        )
        for response in responses:
            if response.member_id is not None:
                by_member.setdefault(response.member_id, []).append(response)
    return {
        link.pk: by_member.get(link.earlier_response.member_id or 0) or [link.earlier_response]
        for link in links
    }


def _side_by_side(
    link: ResponseLink, earlier: list[Response], items: list[str]
) -> list[tuple[str, Any, list[Any], bool]]:
    """Per item: this answer, the person's earlier answers (latest first), and whether any of
    them agrees (an item that agrees nowhere is highlighted)."""
    later = link.response.answers
    rows = []
    for name in items:
        before = [response.answers.get(name) for response in earlier]
        rows.append((name, later.get(name), before, later.get(name) in before))
    return rows


def _links(wave: Wave, status: LinkStatus) -> QuerySet[ResponseLink]:
    history = LinkDecision.objects.select_related("decided_by", "earlier_response__wave")
    return (
        ResponseLink.objects.filter(response__wave=wave, status=status)
        .select_related("response", "earlier_response__wave")
        .prefetch_related(Prefetch("decisions", queryset=history))
    )


@study_page(Action.LINK_RETURNERS)
def linkage_review(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    items = stable_items(wave)
    candidates = _links(wave, LinkStatus.CANDIDATE).order_by("-probability", "pk")
    page = Paginator(candidates, PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    earlier = _earlier_responses(wave, shown)
    linked = _links(wave, LinkStatus.LINKED).order_by("-decided_at", "pk")
    rejected = _links(wave, LinkStatus.REJECTED).order_by("-decided_at", "pk")
    context = {
        "study": study,
        "wave": wave,
        "items": items,
        "has_earlier": bool(earlier_waves(wave)),
        "pairs": [
            (link, earlier[link.pk], _side_by_side(link, earlier[link.pk], items)) for link in shown
        ],
        "page": page,
        "linked": linked[:PAIRS_PER_PAGE],
        "linked_count": linked.count(),
        "rejected": rejected[:PAIRS_PER_PAGE],
        "rejected_count": rejected.count(),
        "pair_field": PAIR_FIELD,
        "suggested": SUGGESTED_ACCEPT,
        "above_suggested": candidates.filter(probability__gte=SUGGESTED_ACCEPT).count(),
    }
    return render(request, "workspace/respondents/linkage.html", context)


def _back(study: Study, wave: Wave, page: str = "") -> HttpResponse:
    url = reverse("fieldwork:linkage", kwargs={"study": study.slug, "wave_id": wave.pk})
    # Decided pairs leave the list, so the same page number shows the next undecided ones.
    return redirect(f"{url}?page={page}" if page.isdecimal() else url)


@require_POST
@study_page(Action.LINK_RETURNERS)
def linkage_run(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    try:
        request_linkage(wave)
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    else:
        messages.success(request, _("Looking for returners in %(name)s.") % {"name": wave.name})
    return _back(study, wave)


@require_POST
@study_page(Action.LINK_RETURNERS)
def linkage_decide(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    link = get_object_or_404(ResponseLink, pk=request.POST.get("link", "0"), response__wave=wave)
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "").strip()[:1000]
    try:
        if decision == "accept":
            link_response(
                link, how=LinkHow.REVIEWED, user=_user(request), reason=reason or REVIEWED_REASON
            )
        elif decision == "reject":
            reject_link(link, user=_user(request), reason=reason or REVIEWED_REASON)
        elif decision == "undo":
            undo_link(link, user=_user(request), reason=reason)
        elif decision == "reopen":
            reopen_link(link, user=_user(request), reason=reason)
        else:
            messages.error(request, _("Choose accept, reject or undo: nothing was changed."))
            return _back(study, wave)
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    return _back(study, wave)


@require_POST
@study_page(Action.LINK_RETURNERS)
def linkage_decide_page(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    """The batch form: every pair ticked on the page, decided with one click."""
    wave = _wave(study, wave_id)
    decisions: dict[int, str] = {}
    for key in request.POST:
        link_id, value = key.removeprefix(PAIR_FIELD), str(request.POST.get(key, ""))
        if key.startswith(PAIR_FIELD) and link_id.isdecimal() and value in DECISIONS:
            decisions[int(link_id)] = value
    if not decisions:
        messages.error(request, _("No pair was marked: nothing was changed."))
        return _back(study, wave, request.POST.get("page", ""))
    reason = request.POST.get("reason", "").strip()[:1000] or REVIEWED_REASON
    done = decide_links(wave, decisions, user=_user(request), reason=reason)
    note = _("%(linked)s linked, %(rejected)s rejected.") % {
        "linked": done.linked,
        "rejected": done.rejected,
    }
    if done.skipped:
        note += " " + _("%(n)s were decided meanwhile and left as they are.") % {"n": done.skipped}
    messages.success(request, note)
    return _back(study, wave, request.POST.get("page", ""))


@require_POST
@study_page(Action.LINK_RETURNERS)
def linkage_accept_above(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    candidates = ResponseLink.objects.filter(
        response__wave=wave, status=LinkStatus.CANDIDATE, probability__gte=SUGGESTED_ACCEPT
    )
    accepted = 0
    for link in candidates:
        link_response(link, how=LinkHow.REVIEWED, user=_user(request), reason=REVIEWED_REASON)
        accepted += 1
    messages.success(request, _("%(n)s links accepted.") % {"n": accepted})
    return _back(study, wave)
