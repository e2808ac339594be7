"""Cleaning review in the staff workspace: the latest run, the study flags by rule with
their reasons, running the rules again, and overriding a flag with a reason.

Thin: access through surveys.workspace.access, work through respondents.cleaning.service
(request_cleaning, override_flag: the same services as the admin and the API).
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from respondents.cleaning.requests import request_cleaning
from respondents.cleaning.service import (
    CleaningError,
    active_overrides,
    cleaning_summary,
    latest_run,
    override_flag,
    wave_flags,
)
from respondents.models import CleaningRunStatus, Response, Wave
from respondents.quality.rules import RULE_FAMILIES, family_of
from respondents.workspace.forms import OverrideFlagForm
from surveys.access import Action, can
from surveys.models import Study
from surveys.workspace.access import study_page

FLAGS_PER_PAGE = 50
# While a run is awaited the page reloads itself this often (no JavaScript needed).
REFRESH_SECONDS = 3
# What each rule family means, for a reader who has not read the rule modules.
RULE_MEANINGS = {
    "speeder": gettext_lazy("answered much faster than others could read the questions"),
    "straightliner": gettext_lazy("gave the same answer down two or more grids"),
    "duplicate": gettext_lazy("answers match another response, or the same person twice"),
    "attention": gettext_lazy("failed an attention check"),
    "incomplete": gettext_lazy("broke off and did not come back"),
    "bot": gettext_lazy("answered too fast for a person, or filled the hidden field"),
}


def _wave(study: Study, wave_id: int) -> Wave:
    return get_object_or_404(Wave, pk=wave_id, study=study)


def _is_awaited(request: HttpRequest, wave: Wave) -> bool:
    """Whether the page should reload: a run is under way, or one was asked for (?after=
    the latest run's id then) and has not started yet."""
    latest = latest_run(wave.pk)
    if latest is not None and latest.status == CleaningRunStatus.RUNNING:
        return True
    after = request.GET.get("after", "")
    if not after.isdigit():
        return False
    return latest is None or latest.pk <= int(after)


@study_page(Action.VIEW_CLEANING)
def cleaning_review(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    rule = request.GET.get("rule", "")
    if family_of(rule) not in RULE_FAMILIES:
        rule = ""
    flags = Paginator(wave_flags(wave.pk, rule=rule), FLAGS_PER_PAGE)
    summary = cleaning_summary(wave)
    per_family: Counter[str] = Counter()
    for name, count in summary.per_rule.items():
        per_family[family_of(name)] += count
    context = {
        "study": study,
        "wave": wave,
        "summary": summary,
        "latest": latest_run(wave.pk),
        "rule": rule,
        "rules": [(name, RULE_MEANINGS[name], per_family[name]) for name in RULE_FAMILIES],
        "flags": flags.get_page(request.GET.get("page")),
        "overrides": active_overrides(wave.pk)[:FLAGS_PER_PAGE],
        "can_clean": can(request.user, Action.CLEAN, study),
        "refresh": REFRESH_SECONDS if _is_awaited(request, wave) else None,
    }
    return render(request, "workspace/respondents/cleaning.html", context)


def _back(study: Study, wave: Wave, query: str = "") -> HttpResponse:
    url = reverse("fieldwork:cleaning", kwargs={"study": study.slug, "wave_id": wave.pk})
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@study_page(Action.CLEAN)
def cleaning_run(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    before = latest_run(wave.pk)
    try:
        request_cleaning(wave)
    except CleaningError as exc:
        messages.error(request, str(exc))
        return _back(study, wave)
    messages.success(request, _("Cleaning of %(name)s is queued.") % {"name": wave.name})
    return _back(study, wave, f"after={before.pk if before else 0}")


def _user(request: HttpRequest) -> AbstractBaseUser | None:
    # study_page has refused anonymous visitors; the check is for the type.
    return request.user if isinstance(request.user, AbstractBaseUser) else None


@require_POST
@study_page(Action.CLEAN)
def cleaning_override(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    form = OverrideFlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An override needs a reason: nothing was changed."))
        return _back(study, wave)
    data = form.cleaned_data
    # A response of another wave answers 404, as a wave of another study does.
    response = get_object_or_404(Response, pk=data["response"], wave=wave)
    try:
        override_flag(
            response.pk, rule=data["rule"], reason=data["reason"], decided_by=_user(request)
        )
    except CleaningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(rule)s no longer applies to response %(response)s.")
            % {"rule": data["rule"], "response": response.source_id or response.pk},
        )
    return _back(study, wave)
