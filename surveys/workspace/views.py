"""Workspace pages of the surveys app: the caller's studies, a new study, its settings and
members, its questionnaires (upload, versions, diff, publish).

Thin: access through surveys.workspace.access, every change through a service. A refused
change shows the service's message on the page and saves nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from config.inputerrors import InputError
from surveys.access import (
    AccessError,
    Action,
    grant_role,
    may_create_study,
    members_of,
    revoke_role,
    role_of,
    studies_visible_to,
)
from surveys.diff import ItemTypeChangedError, VersionDiff
from surveys.models import (
    FrozenVersionError,
    QuestionnaireImport,
    QuestionnaireVersion,
    Study,
    StudyRole,
    VersionStatus,
)
from surveys.services.form_imports import upload_form
from surveys.services.questionnaires import diff_versions, fork_version, publish_version
from surveys.services.studies import StudySettingsError, create_study, update_study
from surveys.services.uploads import saved_media, saved_upload
from surveys.workspace.access import staff_page, study_page
from surveys.workspace.forms import MemberForm, NewStudyForm, StudyForm, UploadForm

ERROR_MAY_NOT_CREATE = gettext_noop(
    "Only study owners and staff allowed to create studies may start a new study."
)
IMPORT_REPORT = "workspace_import_report"


@staff_page
def my_studies(request: HttpRequest) -> HttpResponse:
    studies = []
    for study in studies_visible_to(request.user).order_by("title"):
        role = role_of(request.user, study)
        studies.append((study, StudyRole(role).label if role else None))
    context = {"studies": studies, "may_create": may_create_study(request.user)}
    return render(request, "workspace/surveys/my_studies.html", context)


def _chosen(request: HttpRequest, initial: list[str]) -> list[str]:
    return request.POST.getlist("languages") if request.method == "POST" else initial


@staff_page
def new_study(request: HttpRequest) -> HttpResponse:
    if not may_create_study(request.user):
        raise PermissionDenied(_(ERROR_MAY_NOT_CREATE))
    form = NewStudyForm(request.POST or None, chosen=_chosen(request, []))
    if request.method == "POST" and form.is_valid():
        try:
            study = create_study(
                slug=form.cleaned_data["slug"],
                settings=form.settings(),
                owner=request.user.get_username(),
            )
        except StudySettingsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Study created. You are its owner."))
            return redirect("fieldwork:home", study=study.slug)
    status = 400 if form.errors else 200
    return render(request, "workspace/surveys/new_study.html", {"form": form}, status=status)


@study_page(Action.EDIT_STUDY)
def study_settings(request: HttpRequest, study: Study) -> HttpResponse:
    initial = {
        "title": study.title,
        "languages": list(study.languages),
        "default_language": study.default_language,
        **{f"consent_{code}": text for code, text in dict(study.consent_text).items()},
        **{f"title_{code}": text for code, text in dict(study.title_translations or {}).items()},
    }
    chosen = _chosen(request, list(study.languages) + list(dict(study.consent_text)))
    form = StudyForm(request.POST or None, initial=initial, chosen=chosen)
    if request.method == "POST" and form.is_valid():
        try:
            update_study(study, form.settings())
        except StudySettingsError as exc:
            study.refresh_from_db()
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Settings saved."))
            return redirect("workspace:settings", study=study.slug)
    status = 400 if form.errors else 200
    context = {"study": study, "form": form}
    return render(request, "workspace/surveys/settings.html", context, status=status)


@study_page(Action.MANAGE_ACCESS)
def members(request: HttpRequest, study: Study) -> HttpResponse:
    form = MemberForm(request.POST or None)
    refusal = ""
    if request.method == "POST":
        if request.POST.get("revoke"):
            change: Any = {"username": request.POST["revoke"], "role": None}
        elif form.is_valid():
            change = form.cleaned_data
        else:
            change = None
        if change is not None:
            try:
                if change["role"] is None:
                    revoke_role(study_slug=study.slug, username=change["username"])
                    messages.success(request, _("Access removed."))
                else:
                    grant_role(
                        study_slug=study.slug, username=change["username"], role=change["role"]
                    )
                    messages.success(request, _("Role granted."))
            except AccessError as exc:
                refusal = str(exc)
            else:
                return redirect("workspace:members", study=study.slug)
    rows = [(username, StudyRole(role)) for username, role in members_of(study)]
    context = {
        "study": study,
        "form": form if form.is_bound and form.errors else MemberForm(),
        "refusal": refusal,
        "members": rows,
        "roles": StudyRole.choices,
    }
    status = (
        400
        if (refusal or (form.is_bound and form.errors and "revoke" not in request.POST))
        else 200
    )
    return render(request, "workspace/surveys/members.html", context, status=status)


def _versions(study: Study) -> list[QuestionnaireVersion]:
    return list(
        QuestionnaireVersion.objects.filter(questionnaire__study=study)
        .select_related("questionnaire")
        .order_by("questionnaire__name", "-number")
    )


def _questionnaires_page(
    request: HttpRequest, study: Study, form: UploadForm, refusal: str = ""
) -> HttpResponse:
    # Large forms are imported by a task (surveys/services/form_imports.py): the latest
    # ones are listed with their state until the page is reloaded after they finish.
    imports = QuestionnaireImport.objects.filter(study=study).order_by("-created_at")[:5]
    context = {
        "study": study,
        "form": form,
        "versions": _versions(study),
        "refusal": refusal,
        "imports": imports,
    }
    status = 400 if (refusal or form.errors) else 200
    return render(request, "workspace/surveys/questionnaires.html", context, status=status)


@study_page(Action.VIEW_QUESTIONNAIRES)
def questionnaires(request: HttpRequest, study: Study) -> HttpResponse:
    return _questionnaires_page(request, study, UploadForm())


@require_POST
@study_page(Action.EDIT_QUESTIONNAIRES)
def upload(request: HttpRequest, study: Study) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _questionnaires_page(request, study, form)
    data = form.cleaned_data
    try:
        with saved_upload(data["file"].name or "", data["file"].chunks()) as path:
            options: dict[str, object] = {
                "skip_unsupported": data["skip_unsupported"],
                "allow_no_labels": data["allow_no_labels"],
                "questionnaire_name": data["name"] or None,
            }
            if data["choice_files"]:
                # Beside the form, in the same temporary directory: gone when it is read.
                options["media"] = saved_media(path.parent, data["choice_files"])
            outcome = upload_form(path, study=study, options=options, requested_by=request.user)
    except InputError as exc:
        # Every bad row on its own line.
        return _questionnaires_page(request, study, form, refusal="\n".join(exc.messages))
    result = outcome.result
    if result is None:
        messages.info(
            request,
            _("The form is large: it is being imported in the background. Reload this page."),
        )
        return redirect("workspace:questionnaires", study=study.slug)
    request.session[IMPORT_REPORT] = {
        "version": result.version.pk,
        "items": result.items,
        "skipped": [{"row": s.row, "name": s.name, "type": s.type} for s in result.skipped],
        "warnings": list(result.warnings),
    }
    messages.success(request, _("Questionnaire imported as a new draft version."))
    return redirect("workspace:version", study=study.slug, version_id=result.version.pk)


def _study_version(study: Study, version_id: int) -> QuestionnaireVersion:
    return get_object_or_404(
        QuestionnaireVersion.objects.select_related("questionnaire"),
        pk=version_id,
        questionnaire__study=study,
    )


def _previous(version: QuestionnaireVersion) -> QuestionnaireVersion | None:
    return (
        QuestionnaireVersion.objects.filter(
            questionnaire_id=version.questionnaire_id, number__lt=version.number
        )
        .order_by("-number")
        .first()
    )


@study_page(Action.VIEW_QUESTIONNAIRES)
def version_detail(request: HttpRequest, study: Study, version_id: int) -> HttpResponse:
    version = _study_version(study, version_id)
    report = request.session.get(IMPORT_REPORT)
    if report and report.get("version") == version.pk:
        del request.session[IMPORT_REPORT]
    else:
        report = None
    previous = _previous(version)
    diff: VersionDiff | None = None
    diff_refusal = ""
    if previous is not None:
        try:
            diff = diff_versions(previous.pk, version.pk)
        except ItemTypeChangedError as exc:
            diff_refusal = str(exc)
    pages = version.pages.prefetch_related("questions").order_by("position")
    context = {
        "study": study,
        "version": version,
        "report": report,
        "previous": previous,
        "diff": diff,
        "diff_refusal": diff_refusal,
        "pages": pages,
        "preview_languages": list(version.languages) or [version.source_language],
        "is_draft": version.status == VersionStatus.DRAFT,
    }
    return render(request, "workspace/surveys/version.html", context)


@require_POST
@study_page(Action.EDIT_QUESTIONNAIRES)
def publish(request: HttpRequest, study: Study, version_id: int) -> HttpResponse:
    version = _study_version(study, version_id)
    try:
        publish_version(version.pk)
    except (FrozenVersionError, ItemTypeChangedError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Version published: it is frozen and can open a wave."))
    return HttpResponseRedirect(
        reverse("workspace:version", kwargs={"study": study.slug, "version_id": version.pk})
    )


@require_POST
@study_page(Action.EDIT_QUESTIONNAIRES)
def fork(request: HttpRequest, study: Study, version_id: int) -> HttpResponse:
    draft = fork_version(_study_version(study, version_id).pk)
    messages.success(request, _("A new draft was made from this version."))
    return redirect("workspace:version", study=study.slug, version_id=draft.pk)
