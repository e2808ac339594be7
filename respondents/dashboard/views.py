"""The fieldwork dashboard: server-rendered pages for a study team, charts as inline SVG.

Thin: each view checks the caller's role through surveys.access, then asks the figures
services (respondents.services.figures / study_figures / cleaning / comparison).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from respondents.cleaning.service import cleaning_summary
from respondents.dashboard import svg
from respondents.dashboard.pages import preview_pages
from respondents.dashboard.panels import study_panels
from respondents.services.comparison import compare_with_references
from respondents.services.study_figures import StudyFigures, WaveReport, study_figures
from surveys.access import Action, actions_of, require, role_of, studies_visible_to
from surveys.models import QuestionnaireVersion, Study, StudyRole
from surveys.services.references import ReferenceUploadError, upload_references

# Upload size cap: marginals of a few dozen items for a few countries are a few kilobytes.
MAX_REFERENCE_FILE_BYTES = 1_000_000
ERROR_FILE_TOO_LARGE = gettext_noop("The file is larger than {limit} bytes.")


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _visible_study(request: HttpRequest, slug: str, action: Action) -> Study:
    study = get_object_or_404(studies_visible_to(request.user), slug=slug)
    require(request.user, action, study)
    return study


def _role_label(request: HttpRequest, study: Study) -> str:
    role = role_of(request.user, study)
    return str(StudyRole(role).label) if role else _("superuser")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    studies = [(study, _role_label(request, study)) for study in studies_visible_to(request.user)]
    return render(request, "dashboard/home.html", {"studies": studies})


def _wave_charts(report: WaveReport) -> dict[str, Any]:
    figures = report.figures
    days = [(row.key, row.completes) for row in figures.by_day if row.completes]
    median = figures.median_duration_seconds
    return {
        "report": report,
        "median_minutes": median / 60 if median is not None else None,
        "per_day": mark_safe(svg.column_chart(days, title=_("Completes per day"))),  # noqa: S308
        "by_channel": mark_safe(  # noqa: S308
            svg.bar_chart(
                [(row.key or _("(none)"), row.completes) for row in figures.by_channel],
                title=_("Completes by channel"),
            )
        ),
        "by_language": mark_safe(  # noqa: S308
            svg.bar_chart(
                [(row.key or _("(none)"), row.completes) for row in figures.by_language],
                title=_("Completes by language"),
            )
        ),
        "by_country": mark_safe(  # noqa: S308
            svg.bar_chart(
                [(row.label or _("(not answered)"), row.count) for row in report.countries],
                title=_("Completes by country of residence"),
            )
        )
        if report.countries
        else "",
        "cleaning": cleaning_summary(report.wave),
    }


def _funnel_svg(figures: StudyFigures) -> str:
    steps = [(step.wave_name, step.people) for step in figures.funnel]
    return mark_safe(svg.funnel_chart(steps, title=_("Panel retention from wave to wave")))  # noqa: S308


@login_required
def study(request: HttpRequest, slug: str) -> HttpResponse:
    current = _visible_study(request, slug, Action.VIEW_FIGURES)
    figures = study_figures(current, language=_language())
    allowed = actions_of(request.user, current)
    context = {
        "study": current,
        "figures": figures,
        "funnel_svg": _funnel_svg(figures),
        "waves": [_wave_charts(report) for report in figures.waves],
        "exports": None,
        "can": {action.value: action in allowed for action in Action},
        **study_panels(current, allowed),
    }
    return render(request, "dashboard/study.html", context)


class ReferenceUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV of reference shares"))


def _comparison_context(current: Study) -> list[dict[str, Any]]:
    blocks = []
    for comparison in compare_with_references(current, language=_language()):
        series = [(_("This study"), [row.study_share or 0.0 for row in comparison.rows])]
        series += [
            (name, [row.reference_shares[index] or 0.0 for row in comparison.rows])
            for index, name in enumerate(comparison.series)
        ]
        chart = svg.grouped_bar_chart(
            [row.label for row in comparison.rows], series, title=comparison.concept
        )
        blocks.append({"comparison": comparison, "chart": mark_safe(chart)})  # noqa: S308
    return blocks


@login_required
def references(request: HttpRequest, slug: str) -> HttpResponse:
    current = _visible_study(request, slug, Action.VIEW_FIGURES)
    form = ReferenceUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST":
        require(request.user, Action.UPLOAD_REFERENCES, current)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_REFERENCE_FILE_BYTES:
                problems = [_(ERROR_FILE_TOO_LARGE).format(limit=MAX_REFERENCE_FILE_BYTES)]
            else:
                try:
                    result = upload_references(current, upload.read(), file_name=upload.name)
                except ReferenceUploadError as exc:
                    problems = exc.problems
                else:
                    messages.success(
                        request, _("Stored %(rows)d reference shares.") % {"rows": result.rows}
                    )
                    return redirect("dashboard:references", slug=current.slug)
    context = {
        "study": current,
        "form": form,
        "problems": problems,
        "blocks": _comparison_context(current),
        "can_upload": Action.UPLOAD_REFERENCES in actions_of(request.user, current),
    }
    return render(request, "dashboard/references.html", context, status=400 if problems else 200)


@login_required
def preview_version(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(
        QuestionnaireVersion.objects.select_related("questionnaire__study").filter(
            questionnaire__study__in=studies_visible_to(request.user)
        ),
        pk=version_id,
    )
    require(request.user, Action.VIEW_QUESTIONNAIRES, version.questionnaire.study_id)
    languages = list(version.languages) or [version.source_language]
    language = request.GET.get("lang", "")
    if language not in languages:
        language = languages[0]
    context = {
        "version": version,
        "language": language,
        "preview_languages": languages,
        "pages": preview_pages(version, language),
    }
    return render(request, "dashboard/preview.html", context)
