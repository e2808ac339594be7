"""The study's retention page: its periods and what will be deleted on which day, the same
figures as `retention --dry-run`. Thin: access through surveys.workspace.access, the
figures from exports.retention."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from exports.retention import retention_plan
from surveys.access import Action
from surveys.models import Study
from surveys.workspace.access import study_page


@study_page(Action.VIEW_FIGURES)
def retention_page(request: HttpRequest, study: Study) -> HttpResponse:
    plan = retention_plan(study)
    today = timezone.now().date()
    context = {"study": study, "plan": plan, "today": today}
    return render(request, "workspace/exports/retention.html", context)
