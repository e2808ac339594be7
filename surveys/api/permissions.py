"""DRF permission classes every app's API uses; the rules are in surveys.access.

A view names what it needs per HTTP method:

    class CleaningSummaryView(APIView):
        permission_classes = [StudyRolePermission]
        study_actions = {"GET": Action.VIEW_CLEANING, "POST": Action.CLEAN}

`StudyRolePermission` checks objects (`check_object_permissions`, as generic views do on
`get_object()`); views that look a study up themselves call `require_on(request, action,
study)`; list views narrow their queryset with `visible(queryset, request, action, path)`.
Objects of a study the caller cannot see answer 404, not 403.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from surveys.access import Action, require, studies_where
from surveys.models import Study

M = TypeVar("M", bound=Model)

ERROR_NO_ACTION = "{view} names no study action for {method}"


def study_id_of(obj: Any) -> int:
    """The study an object belongs to, by the relations our models have."""
    if isinstance(obj, Study):
        return int(obj.pk)
    for path in (
        "study_id",
        "wave.study_id",
        "questionnaire.study_id",
        "version.questionnaire.study_id",
        "response.wave.study_id",
        "job.study_id",
    ):
        value: Any = obj
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if value is not None:
            return int(value)
    raise TypeError(f"cannot tell the study of {type(obj).__name__}")


def action_for(view: APIView, method: str) -> Action:
    actions: dict[str, Action] = getattr(view, "study_actions", {})
    action = actions.get(method) or getattr(view, "study_action", None)
    if action is None:
        # Fails closed: a view that forgot to say what it needs refuses everyone.
        raise exceptions.PermissionDenied(
            ERROR_NO_ACTION.format(view=type(view).__name__, method=method)
        )
    return Action(action)


def require_on(request: Request, action: Action | str, study: Study | int) -> None:
    """`surveys.access.require` with DRF's exceptions (404 / 403 in the API's JSON)."""
    try:
        require(request.user, action, study)
    except Http404 as exc:
        raise exceptions.NotFound(str(exc)) from exc
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc


def visible(
    queryset: QuerySet[M], request: Request, action: Action | str, study_path: str = "study"
) -> QuerySet[M]:
    """Only the rows of studies on which the caller may take the action."""
    return queryset.filter(**{f"{study_path}__in": studies_where(request.user, action)})


class StudyRolePermission(BasePermission):
    """Authenticated, and on each object the role's action for the request's method."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        require_on(request, action_for(view, request.method or "GET"), study_id_of(obj))
        return True
