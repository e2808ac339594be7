"""Exports in the staff workspace: the study's export jobs, requesting one with every
option of export_data, following its progress, its disclosure verdict in words, and its
files through the signed download links.

Thin: access through surveys.workspace.access, work through exports.services
(request_export, make_download_link(s), may_download), the verdict through verdict.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from exports.models import ExportJob, ExportStatus
from exports.services import (
    DownloadRefused,
    make_download_link,
    make_download_links,
    may_download,
    request_export,
)
from exports.workspace.forms import ExportRequestForm
from exports.workspace.verdict import describe_report
from respondents.models import Wave
from surveys.access import Action
from surveys.models import Study
from surveys.workspace.access import study_page

JOBS_LISTED = 50
# While a job is queued or running its page reloads this often (no JavaScript needed).
REFRESH_SECONDS = 3
UNFINISHED = (ExportStatus.QUEUED, ExportStatus.RUNNING)


def _job(study: Study, job_id: int) -> ExportJob:
    # A job of another study answers 404, as a study the user cannot see does.
    return get_object_or_404(
        ExportJob.objects.select_related("requested_by"), pk=job_id, study=study
    )


@study_page(Action.EXPORT)
def export_list(request: HttpRequest, study: Study) -> HttpResponse:
    jobs = ExportJob.objects.filter(study=study).select_related("requested_by")
    context = {"study": study, "jobs": jobs.order_by("-created_at", "-pk")[:JOBS_LISTED]}
    return render(request, "workspace/exports/export_list.html", context)


def _initial_waves(request: HttpRequest) -> list[str]:
    # The admin's export action links here with ?waves=1,2 for the waves it had selected.
    return [part for part in request.GET.get("waves", "").split(",") if part.strip()]


def _show_refusal(form: ExportRequestForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, problems in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


@study_page(Action.EXPORT)
def export_new(request: HttpRequest, study: Study) -> HttpResponse:
    initial = {"waves": _initial_waves(request)}
    form = ExportRequestForm(request.POST or None, study=study, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = request_export(
                study,
                requested_by=request.user,
                waves=data["waves"] or None,
                sample=data["sample"],
                layout=data["layout"],
                format=data["format"],
                k=data["k"],
                include_flagged=data["include_flagged"],
                language=data["language"],
                free_text=data["free_text"],
                max_global_risk=data["max_global_risk"],
            )
        except ValidationError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, _("Export %(job)d is queued.") % {"job": job.pk})
            return redirect("exports_ws:job", study=study.slug, job_id=job.pk)
    status = 400 if form.errors else 200
    context = {"study": study, "form": form}
    return render(request, "workspace/exports/export_new.html", context, status=status)


def _wave_names(job: ExportJob) -> list[str]:
    names = dict(Wave.objects.filter(pk__in=job.waves).values_list("pk", "name"))
    return [names.get(pk, str(pk)) for pk in job.waves]


@study_page(Action.EXPORT)
def export_detail(request: HttpRequest, study: Study, job_id: int) -> HttpResponse:
    job = _job(study, job_id)
    downloadable = job.status == ExportStatus.DONE and may_download(request.user, job)
    context: dict[str, Any] = {
        "study": study,
        "job": job,
        "wave_names": _wave_names(job),
        "words": describe_report(job.disclosure_report),
        "links": make_download_links(job, request.user) if downloadable else [],
        "may_download": may_download(request.user, job),
        "refresh": REFRESH_SECONDS if job.status in UNFINISHED else None,
    }
    return render(request, "workspace/exports/export_detail.html", context)


@study_page(Action.DOWNLOAD)
def export_file(request: HttpRequest, study: Study, job_id: int, name: str) -> HttpResponse:
    """A fresh signed link to one file, followed at once: the dashboard lists files by
    name, and a link signed when the list was drawn could expire before it is clicked."""
    job = _job(study, job_id)
    if name not in {Path(path).name for path in job.files}:
        return render(
            request, "staff/download_refused.html", {"reason": _("No such file.")}, status=404
        )
    try:
        link = make_download_link(job, request.user, file=name)
    except DownloadRefused as exc:
        return render(request, "staff/download_refused.html", {"reason": str(exc)}, status=403)
    return HttpResponseRedirect(link.url)
