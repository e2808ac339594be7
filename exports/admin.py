"""Export jobs and the audit log, read-only: jobs change only through the runner.

Both are scoped by role (surveys.admin_access): only the studies where the user may export
(owners, researchers) show, as on the dashboard; other rows answer 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from exports.models import AuditEntry, ExportJob
from surveys.access import Action
from surveys.admin_access import StudyScopedAdminMixin


class ReadOnlyAdmin(StudyScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    view_right = Action.EXPORT

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "study",
        "sample",
        "layout",
        "format",
        "status",
        "progress",
        "rows",
        "requested_by",
        "created_at",
        "expires_at",
    ]
    list_filter = ["status", "format", "sample", "layout", "study"]
    search_fields = ["study__slug"]
    list_select_related = ["study", "requested_by"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "study", "job", "user"]
    list_filter = ["action", "study"]
    search_fields = ["study__slug", "user__username"]
    list_select_related = ["study", "job", "user"]
