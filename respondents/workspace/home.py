"""A study's home in the workspace: its waves and their fieldwork at a glance."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from respondents.models import Wave, WaveState
from respondents.services.figures import WaveFigures, wave_figures
from surveys.access import Action
from surveys.models import QuestionnaireVersion, Study, VersionStatus
from surveys.workspace.access import study_page


@study_page(Action.VIEW_FIGURES)
def study_home(request: HttpRequest, study: Study) -> HttpResponse:
    waves = Wave.objects.filter(study=study).select_related("version").order_by("-created_at")
    glance: list[tuple[Wave, WaveFigures | None]] = [
        (wave, None if wave.state == WaveState.DRAFT else wave_figures(wave)) for wave in waves
    ]
    versions = QuestionnaireVersion.objects.filter(questionnaire__study=study)
    context = {
        "study": study,
        "waves": glance,
        "versions": versions.count(),
        "published": versions.filter(status=VersionStatus.PUBLISHED).count(),
    }
    return render(request, "workspace/respondents/home.html", context)
