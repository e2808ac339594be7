"""The Django admin as Panelwave runs it: study staff see the project's own models only.

Accounts, API tokens, authenticator devices and the other apps' models are for superusers:
a staff member of one study who was handed model permissions for them (on purpose or by a
broad group) still cannot open them. Each model registered from outside the project gets
that check on top of its own admin class, whichever app registers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models import Model
from django.db.models.base import ModelBase
from django.http import HttpRequest

PROJECT_APPS = frozenset({"surveys", "respondents", "exports"})


def _is_superuser(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_superuser", False))


class SuperuserOnlyAdminMixin:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_superuser(request) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_superuser(request) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _is_superuser(request) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_superuser(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_superuser(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class PanelwaveAdminSite(admin.AdminSite):
    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: type[admin.ModelAdmin[Any]] | None = None,
        **options: Any,
    ) -> None:
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        for model in models:
            chosen = admin_class or admin.ModelAdmin
            if model._meta.app_label not in PROJECT_APPS:
                chosen = type(
                    f"SuperuserOnly{chosen.__name__}", (SuperuserOnlyAdminMixin, chosen), {}
                )
            super().register(model, chosen, **options)


class PanelwaveAdminConfig(AdminConfig):
    default_site = "config.admin.PanelwaveAdminSite"
