"""Reviewing returners in the staff workspace: candidates found by link_returners, each with
both responses' stable answers side by side (never contacts), accepted or rejected with a
reason; linked pairs undone; accepting every candidate above the suggested threshold at once.

Thin: access through surveys.workspace.access, work through respondents.services.linkage.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respondents.linkage.matching import SUGGESTED_ACCEPT
from respondents.models import LinkHow, LinkStatus, ResponseLink, Wave
from respondents.services.linkage import (
    earlier_waves,
    link_response,
    reject_link,
    stable_items,
    undo_link,
)
from respondents.services.linkage_requests import request_linkage
from surveys.access import Action
from surveys.models import Study
from surveys.workspace.access import study_page

PAIRS_PER_PAGE = 50
REVIEWED_REASON = "reviewed in the workspace"


def _wave(study: Study, wave_id: int) -> Wave:
    return get_object_or_404(Wave, pk=wave_id, study=study)


def _user(request: HttpRequest) -> AbstractBaseUser | None:
    return request.user if isinstance(request.user, AbstractBaseUser) else None


def _side_by_side(link: ResponseLink, items: list[str]) -> list[tuple[str, Any, Any, bool]]:
    later, earlier = link.response.answers, link.earlier_response.answers
    return [
        (name, later.get(name), earlier.get(name), later.get(name) == earlier.get(name))
        for name in items
    ]


@study_page(Action.LINK_RETURNERS)
def linkage_review(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    items = stable_items(wave)
    candidates = (
        ResponseLink.objects.filter(response__wave=wave, status=LinkStatus.CANDIDATE)
        .select_related("response", "earlier_response__wave")
        .order_by("-probability", "pk")
    )
    page = Paginator(candidates, PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    linked = ResponseLink.objects.filter(
        response__wave=wave, status=LinkStatus.LINKED
    ).select_related("response", "earlier_response__wave")
    context = {
        "study": study,
        "wave": wave,
        "items": items,
        "has_earlier": bool(earlier_waves(wave)),
        "pairs": [(link, _side_by_side(link, items)) for link in page.object_list],
        "page": page,
        "linked": linked[:PAIRS_PER_PAGE],
        "linked_count": linked.count(),
        "suggested": SUGGESTED_ACCEPT,
        "above_suggested": candidates.filter(probability__gte=SUGGESTED_ACCEPT).count(),
    }
    return render(request, "workspace/respondents/linkage.html", context)


def _back(study: Study, wave: Wave) -> HttpResponse:
    return redirect(reverse("fieldwork:linkage", kwargs={"study": study.slug, "wave_id": wave.pk}))


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
        else:
            messages.error(request, _("Choose accept, reject or undo: nothing was changed."))
            return _back(study, wave)
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    return _back(study, wave)


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
