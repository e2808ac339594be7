"""Request bodies refused before anything reads them, by kind of page.

Django parses a multipart body as soon as a view or the CSRF check touches request.POST,
spooling file parts to a temporary directory with no size limit; its own limits bound only
the form fields. Respondents never upload files, so their pages accept small form posts
only (RESPONDENT_MAX_BODY_BYTES): url-encoded, as browsers send the survey's forms, or
multipart without a file part (as Django's test client and some scripts send a form). Staff
pages (admin, workspace, API) accept bodies up to STAFF_MAX_UPLOAD_BYTES. Sizes are judged
from the headers alone, so a refused body is never read here (the proxy in front should
bound it too: see the README's Security section).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext

from config.respondentpaths import is_respondent_request

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
MULTIPART = "multipart/form-data"
TOO_LARGE = 413
BAD_REQUEST = 400


class FilePartRefusedError(Exception):
    pass


class RefuseFilesHandler(FileUploadHandler):
    """The only upload handler of a respondent page: any file part ends the parse."""

    def new_file(self, *args: object, **kwargs: object) -> None:
        raise FilePartRefusedError

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        return None

    def file_complete(self, file_size: int) -> None:
        return None


def _declared_length(request: HttpRequest) -> int | None:
    """CONTENT_LENGTH as a number; None when it is not one (a garbled header)."""
    raw = str(request.META.get("CONTENT_LENGTH") or "0").strip()
    return int(raw) if raw.isdecimal() else None


def _respondent_refusal(request: HttpRequest, status: int) -> HttpResponse:
    codes = {code for code, _name in settings.LANGUAGES}
    explicit = str(request.GET.get("lang", ""))
    language = explicit if explicit in codes else translation.get_language_from_request(request)
    with translation.override(language):
        page = render(
            request,
            "respondents/request_refused.html",
            {"language": language, "too_large": status == TOO_LARGE},
            status=status,
        )
    page["Content-Language"] = language
    return page


def _staff_refusal(request: HttpRequest, status: int, limit: int) -> HttpResponse:
    if status == TOO_LARGE:
        message = gettext(
            "The request is larger than this site accepts ({megabytes} MB, STAFF_MAX_UPLOAD_BYTES)."
        ).format(megabytes=round(limit / 1_048_576, 1))
    else:
        message = gettext("The request's Content-Length header is not a number.")
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message, "field": None}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _refuse_file_parts(request: HttpRequest) -> HttpResponse | None:
    # Parsed here, in memory (the body is already known to be small), with a handler that
    # stops at the first file part, so no file is ever written.
    request.upload_handlers = [RefuseFilesHandler(request)]
    try:
        request.POST  # noqa: B018 (parsing is the point)
    except FilePartRefusedError:
        return _respondent_refusal(request, BAD_REQUEST)
    return None


def refuse_body(request: HttpRequest) -> HttpResponse | None:
    """The refusal for this request's body, or None when it may be read."""
    length = _declared_length(request)
    if is_respondent_request(request):
        if length is None or length > settings.RESPONDENT_MAX_BODY_BYTES:
            return _respondent_refusal(request, TOO_LARGE if length else BAD_REQUEST)
        content_type = str(request.META.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
        if not length:
            return None
        if content_type not in FORM_TYPES:
            return _respondent_refusal(request, BAD_REQUEST)
        if content_type == MULTIPART:
            return _refuse_file_parts(request)
        return None
    limit = int(settings.STAFF_MAX_UPLOAD_BYTES)
    if length is None:
        return _staff_refusal(request, BAD_REQUEST, limit)
    if length > limit:
        return _staff_refusal(request, TOO_LARGE, limit)
    return None


class RequestBodyLimitMiddleware:
    """First in the chain that reads bodies: before the CSRF check parses request.POST."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return refuse_body(request) or self.get_response(request)
