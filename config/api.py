"""The REST API's shared parts: one error format and the schema/docs views.

Every error leaves the API as JSON `{"detail": message, "field": name-or-null}` (plus
`errors` with every message by field when a validation found several, and `problems`, one
object per bad part with where it is, when an input was refused in several places: the
rows of an uploaded form), with 400 for bad
input, 401/403 for who-may, 404 for what is missing or not visible to the caller, 409 for a
change that conflicts with the stored state (a frozen questionnaire version).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.inputerrors import InputError
from surveys.access import AccessError
from surveys.diff import ItemTypeChangedError
from surveys.models import FrozenVersionError, PublishOutsideServiceError

NOT_FOUND = "Not found."
# Domain exceptions and the status they answer with; their message is safe to show.
DOMAIN_STATUS: dict[type[Exception], int] = {
    FrozenVersionError: status.HTTP_409_CONFLICT,
    PublishOutsideServiceError: status.HTTP_409_CONFLICT,
    # An item keeps its name but changes type against another version (publish, diff).
    ItemTypeChangedError: status.HTTP_409_CONFLICT,
    AccessError: status.HTTP_400_BAD_REQUEST,
}
NON_FIELD_KEYS = ("non_field_errors", "__all__", "detail")


def _first_error(detail: Any, path: str = "") -> tuple[str | None, str]:
    """The first (field path, message) in a DRF error structure."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = path if key in NON_FIELD_KEYS else (f"{path}.{key}" if path else str(key))
            return _first_error(value, field)
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list) and path
            return _first_error(value, f"{path}.{index}" if nested else path)
    return (path or None), str(detail)


def _as_drf(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return exceptions.ValidationError(detail)
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return exceptions.NotFound(NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    for exc_type, code in DOMAIN_STATUS.items():
        if isinstance(exc, exc_type):
            return Response({"detail": str(exc), "field": None}, status=code)
    problems = exc.problems if isinstance(exc, InputError) else ()
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    field, message = _first_error(detail)
    body: dict[str, Any] = {"detail": message, "field": field}
    if isinstance(detail, dict) and (len(detail) > 1 or field is not None):
        body["errors"] = detail
    if problems:
        body["problems"] = [dict(problem) for problem in problems]
    response.data = body
    return response


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's files, served by us; the split view loads its
    start-up script as a file, so script-src stays 'self'. The page carries one small inline
    <style>, so this view alone allows inline styles."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        response._csp_update = {"style-src": ["'unsafe-inline'"]}  # type: ignore[attr-defined]
        return response


def api_not_found(request: HttpRequest) -> JsonResponse:
    """An unknown path under /api/ answers in the API's JSON, not Django's HTML page.

    Routed by a catch-all of paths ending in a slash, after every API route: a path without
    its slash is first redirected by APPEND_SLASH, as for the real endpoints."""
    return JsonResponse({"detail": NOT_FOUND, "field": None}, status=status.HTTP_404_NOT_FOUND)
