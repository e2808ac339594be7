"""Free-text review in the staff workspace: the study's scrubbed answers with every
replacement highlighted, filtered by question, wave and what was found; restoring a false
replacement or redacting a further span, with a reason; withholding a question from every
export. Owners and fieldwork managers only (two-factor): the page shows raw answers.

Thin: access through surveys.workspace.access, work through respondents.freetext.review
and respondents.freetext.services.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respondents.freetext import review
from respondents.freetext.scrub import VERSION
from respondents.freetext.scrub.spans import TAGS
from respondents.freetext.services import set_withheld, withheld_keys
from respondents.models import Wave
from surveys.access import Action
from surveys.models import Study
from surveys.workspace.access import study_page

FILTERS = ("key", "wave", "kind", "page")


def _filters(data: Any) -> dict[str, str]:
    return {name: str(data.get(name, "")).strip() for name in FILTERS if data.get(name)}


def _back(study: Study, data: Any) -> HttpResponseRedirect:
    url = reverse("fieldwork:free-text", kwargs={"study": study.slug})
    query = urlencode(_filters(data))
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


def _user(request: HttpRequest) -> User:
    # study_page lets only a signed-in user through.
    return cast(User, request.user)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


@study_page(Action.REVIEW_FREE_TEXT)
def free_text_review(request: HttpRequest, study: Study) -> HttpResponse:
    keys = review.study_keys(study.pk)
    key = request.GET.get("key", "")
    key = key if key in keys else ""
    waves = list(Wave.objects.filter(study=study).order_by("created_at").values_list("pk", "name"))
    wave_id = _int(request.GET.get("wave"))
    wave_id = wave_id if wave_id in {pk for pk, _ in waves} else None
    kind = request.GET.get("kind", "")
    kind = kind if kind in TAGS or kind == "none" else ""
    page = _int(request.GET.get("page")) or 1
    rows, more = review.review_rows(study.pk, key=key, wave_id=wave_id, kind=kind, page=page)
    withheld = withheld_keys(study.pk)
    context = {
        "study": study,
        "rows": rows,
        "keys": [(k, k in withheld) for k in keys],
        "waves": waves,
        "kinds": sorted(TAGS),
        "chosen": {"key": key, "wave": wave_id, "kind": kind},
        "page": page,
        "previous": urlencode({**_filters(request.GET), "page": page - 1}) if page > 1 else "",
        "next": urlencode({**_filters(request.GET), "page": page + 1}) if more else "",
        "filters": _filters(request.GET),
        "scrubber_version": VERSION,
    }
    return render(request, "workspace/respondents/free_text.html", context)


def _decide(request: HttpRequest, study: Study, action: str) -> HttpResponse:
    data = request.POST
    response_id = _int(data.get("response"))
    key = str(data.get("answer_key", ""))
    if response_id is None or key not in review.study_keys(study.pk):
        messages.error(request, _("That answer is not one of this study's free-text answers."))
        return _back(study, data)
    if not Wave.objects.filter(study=study, responses__pk=response_id).exists():
        messages.error(request, _("That answer is not one of this study's free-text answers."))
        return _back(study, data)
    user = _user(request)
    reason = str(data.get("reason", ""))
    try:
        if action == "restore":
            start, end = _int(data.get("start")), _int(data.get("end"))
            if start is None or end is None:
                raise review.ReviewError(_("no replacement at that place in this answer"))
            review.restore(response_id, key, start, end, reason, user)
            messages.success(request, _("Restored. Every later export releases it."))
        else:
            done = review.redact(response_id, key, str(data.get("phrase", "")), reason, user)
            messages.success(
                request,
                _("Redacted %(n)d place(s). Every later export releases the redaction.")
                % {"n": len(done)},
            )
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    return _back(study, data)


@require_POST
@study_page(Action.REVIEW_FREE_TEXT)
def free_text_restore(request: HttpRequest, study: Study) -> HttpResponse:
    return _decide(request, study, "restore")


@require_POST
@study_page(Action.REVIEW_FREE_TEXT)
def free_text_redact(request: HttpRequest, study: Study) -> HttpResponse:
    return _decide(request, study, "redact")


@require_POST
@study_page(Action.REVIEW_FREE_TEXT)
def free_text_revoke(request: HttpRequest, study: Study) -> HttpResponse:
    user = _user(request)
    decision_id = _int(request.POST.get("decision"))
    try:
        if decision_id is None:
            raise review.ReviewError(_("no such decision, or it was revoked already"))
        review.revoke(decision_id, study.pk, user)
        messages.success(request, _("Decision taken back."))
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    return _back(study, request.POST)


@require_POST
@study_page(Action.REVIEW_FREE_TEXT)
def free_text_withhold(request: HttpRequest, study: Study) -> HttpResponse:
    key = str(request.POST.get("answer_key", ""))
    if key not in review.study_keys(study.pk):
        messages.error(request, _("That is not one of this study's free-text questions."))
        return _back(study, request.POST)
    withhold = request.POST.get("withhold") == "1"
    set_withheld(study.pk, key, withhold)
    messages.success(
        request,
        _("%(key)s is withheld from every export.") % {"key": key}
        if withhold
        else _("%(key)s is released scrubbed again.") % {"key": key},
    )
    return _back(study, request.POST)
