"""Workspace pages of the surveys app: the caller's studies, creating a study, its members
and questionnaires. Thin: access through surveys.workspace.access, changes through services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from surveys.access import role_of, studies_visible_to
from surveys.models import StudyRole
from surveys.workspace.access import staff_page


@staff_page
def my_studies(request: HttpRequest) -> HttpResponse:
    studies = []
    for study in studies_visible_to(request.user).order_by("title"):
        role = role_of(request.user, study)
        studies.append((study, StudyRole(role).label if role else None))
    return render(request, "workspace/surveys/my_studies.html", {"studies": studies})
