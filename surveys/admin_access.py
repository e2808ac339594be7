"""Roles in the Django admin: a study team member sees and acts on their studies only.

`StudyScopedAdminMixin` goes first in a ModelAdmin's bases. It narrows the changelist to
the studies the user may see (superusers: all), hides objects of other studies (404, as
everywhere), and drops each action whose study right (`action_rights`) the user holds on
no study; when an action runs, its queryset is narrowed to the studies where they hold it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from surveys.access import Action, can, studies_visible_to, studies_where


class StudyScopedAdminMixin:
    # The lookup path from the model to its Study, e.g. "study" or "wave__study".
    study_path = "study"
    # Admin action name -> the study right it needs.
    action_rights: dict[str, Action] = {}
    # The right needed to change an object (viewing needs a role on its study).
    change_right: Action | None = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        return rows.filter(**{f"{self.study_path}__in": studies_visible_to(request.user)})

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)  # type: ignore[misc]
        for name, right in self.action_rights.items():
            if name in actions and not studies_where(request.user, right).exists():
                del actions[name]
        return actions

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        name = request.POST.get("action", "")
        right = self.action_rights.get(name)
        if right is not None:
            queryset = queryset.filter(
                **{f"{self.study_path}__in": studies_where(request.user, right)}
            )
        return super().response_action(request, queryset)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed: bool = super().has_change_permission(request, obj)  # type: ignore[misc]
        if obj is None or self.change_right is None or not allowed:
            return allowed
        return can(request.user, self.change_right, _study_id(obj, self.study_path))


def _study_id(obj: Any, path: str) -> int:
    value: Any = obj
    for part in path.split("__"):
        value = getattr(value, part)
    return int(value.pk)
