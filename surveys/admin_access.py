"""Roles in the Django admin: a study team member sees and acts on their studies only.

`StudyScopedAdminMixin` goes first in a ModelAdmin's bases. Django's own model permissions
still apply (a staff user needs `view_wave` to see waves at all); on top of them, every
answer is narrowed by the user's role on each study (surveys.access):

- the changelist holds only rows of studies where the user has `view_right`, and the
  choices of a relational list filter (study, wave, questionnaire) only those studies;
- the change, delete and history pages of any other row answer 404, as everywhere else,
  so a row's existence does not leak;
- adding, changing and deleting need `edit_right` on the row's study (None: superusers
  only), and a form's study / wave / questionnaire choices are narrowed to those studies;
- each admin action needs its right in `action_rights`; an action without one is never
  offered (fail closed), and when one runs, its queryset is narrowed to the studies where
  the user holds the right, with a warning naming how many selected rows were left out.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from surveys.access import ERROR_NOT_VISIBLE, Action, can, studies_where

# The lookup from each model that an admin filter or form may offer to its study, by model
# label (so surveys needs no import of the other apps).
STUDY_LOOKUPS = {
    "surveys.study": "pk",
    "surveys.questionnaire": "study",
    "surveys.questionnaireversion": "questionnaire__study",
    "respondents.wave": "study",
    "respondents.panelmember": "study",
    "respondents.cleaningrun": "wave__study",
    "exports.exportjob": "study",
}
SKIPPED_ROWS = "{count} selected rows were left out: your role on their study does not allow this."
# Django's built-in bulk delete, governed by edit_right.
DELETE_ACTION = "delete_selected"


def _is_superuser(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_superuser", False))


def scoped_rows(model: type[Model], request: HttpRequest, right: Action) -> QuerySet[Any] | None:
    """The model's rows in studies where the user holds `right`; None for an unscoped model."""
    lookup = STUDY_LOOKUPS.get(model._meta.label_lower)
    if lookup is None:
        return None
    rows: QuerySet[Any] = model._default_manager.all()
    return rows.filter(**{f"{lookup}__in": studies_where(request.user, right)})


class StudyScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A relational list filter offering only rows of the user's studies."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[Any]:
        rows = scoped_rows(field.related_model, request, model_admin.view_right)
        if rows is None:
            return []
        return [(row.pk, str(row)) for row in rows]


class StudyScopedAdminMixin:
    # The lookup path from the model to its Study, e.g. "study" or "wave__study".
    study_path = "study"
    # The right needed to see the rows at all (VIEW_FIGURES: any role on the study).
    view_right: Action = Action.VIEW_FIGURES
    # The right needed to add, change or delete a row (None: superusers only).
    edit_right: Action | None = None
    # Admin action name -> the study right it needs.
    action_rights: dict[str, Action] = {}

    # Rows

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        return rows.filter(
            **{f"{self.study_path}__in": studies_where(request.user, self.view_right)}
        )

    def _require_visible(self, request: HttpRequest, object_id: str) -> None:
        if self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]
            raise Http404(ERROR_NOT_VISIBLE)

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        self._require_visible(request, object_id)
        return super().change_view(request, object_id, *args, **kwargs)  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        self._require_visible(request, object_id)
        return super().delete_view(request, object_id, *args, **kwargs)  # type: ignore[misc]

    def history_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, *args, **kwargs)  # type: ignore[misc]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters: list[Any] = list(super().get_list_filter(request))  # type: ignore[misc]
        model = self.model  # type: ignore[attr-defined]
        scoped: list[Any] = []
        for entry in filters:
            if isinstance(entry, str) and get_fields_from_path(model, entry)[-1].is_relation:
                scoped.append((entry, StudyScopedRelatedFilter))
            else:
                scoped.append(entry)
        return scoped

    # Add, change, delete

    def _holds(self, request: HttpRequest, right: Action | None, obj: Any) -> bool:
        if right is None:
            return _is_superuser(request)
        if obj is None:
            return studies_where(request.user, right).exists()
        return can(request.user, right, study_id_of(obj, self.study_path))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        allowed: bool = super().has_add_permission(request, *args)  # type: ignore[misc]
        return allowed and self._holds(request, self.edit_right, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed: bool = super().has_change_permission(request, obj)  # type: ignore[misc]
        return allowed and self._holds(request, self.edit_right, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed: bool = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return allowed and self._holds(request, self.edit_right, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        rows = scoped_rows(db_field.related_model, request, self.edit_right or self.view_right)
        if rows is not None:
            kwargs["queryset"] = rows
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    # Actions

    def _action_right(self, name: str) -> Action | None:
        if name == DELETE_ACTION:
            return self.edit_right
        return self.action_rights.get(name)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)  # type: ignore[misc]
        for name in list(actions):
            right = self._action_right(name)
            if right is None:
                if not (name == DELETE_ACTION and _is_superuser(request)):
                    del actions[name]
            elif not studies_where(request.user, right).exists():
                del actions[name]
        return actions

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        right = self._action_right(request.POST.get("action", ""))
        if right is not None:
            allowed = queryset.filter(
                **{f"{self.study_path}__in": studies_where(request.user, right)}
            )
            chosen, kept = queryset, allowed
            if request.POST.get("select_across") != "1":
                selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
                chosen, kept = queryset.filter(pk__in=selected), allowed.filter(pk__in=selected)
            skipped = chosen.count() - kept.count()
            if skipped:
                self.message_user(  # type: ignore[attr-defined]
                    request, SKIPPED_ROWS.format(count=skipped), messages.WARNING
                )
            queryset = allowed
        return super().response_action(request, queryset)  # type: ignore[misc]


def study_id_of(obj: Any, path: str) -> int:
    """The pk of the study that `path` ("study", "wave__study", "pk") leads to from obj."""
    if path == "pk":
        return int(obj.pk)
    value: Any = obj
    for part in path.split("__"):
        value = getattr(value, part)
    return int(value.pk)
