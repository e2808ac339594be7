"""Admin for cleaning runs, quality flags and overrides, with the wave's cleaning summary.

Imported by respondents/admin.py. Lists show ids, rules and scores only: never answers.
Runs and flags are written by the cleaning task alone, so they are read-only here;
overrides are made through override_flag (command, API) so the flag goes with them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from respondents.cleaning.service import cleaning_summary
from respondents.models import CleaningRun, FlagOverride, QualityFlag
from surveys.access import Action
from surveys.admin_access import StudyScopedAdminMixin


class ReadOnlyAdmin(StudyScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Scoped to the studies where the user may read cleaning results."""

    view_right = Action.VIEW_CLEANING

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CleaningRun)
class CleaningRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "wave", "status", "started_at", "finished_at", "responses", "flagged"]
    list_filter = ["status", "wave"]
    study_path = "wave__study"
    readonly_fields = [
        "wave",
        "status",
        "started_at",
        "finished_at",
        "config",
        "timings",
        "counts",
        "notes",
        "summary",
    ]

    @admin.display(description="responses")
    def responses(self, run: CleaningRun) -> int | None:
        value = run.counts.get("responses")
        return int(value) if value is not None else None

    @admin.display(description="flagged")
    def flagged(self, run: CleaningRun) -> int | None:
        value = run.counts.get("flagged_responses")
        return int(value) if value is not None else None

    @admin.display(description="wave cleaning summary (current flags)")
    def summary(self, run: CleaningRun) -> SafeString:
        summary = cleaning_summary(run.wave)

        def table(title: str, rows: dict[str, Any]) -> SafeString:
            body = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows.items())
            return format_html("<h4>{}</h4><table>{}</table>", title, body)

        return format_html(
            "<p>{} of {} responses flagged; {} overrides (run {})</p>{}{}{}",
            summary.flagged_responses,
            summary.responses,
            summary.overrides,
            summary.run_id,
            table("per rule", summary.per_rule),
            table("per channel", summary.per_channel),
            table("per day", summary.per_day),
        )


@admin.register(QualityFlag)
class QualityFlagAdmin(ReadOnlyAdmin):
    list_display = ["id", "response_id", "rule", "score", "run"]
    list_filter = ["rule"]
    list_select_related = ["run"]
    readonly_fields = ["response", "run", "rule", "score", "detail"]
    study_path = "response__wave__study"


@admin.register(FlagOverride)
class FlagOverrideAdmin(ReadOnlyAdmin):
    list_display = ["id", "response_id", "rule", "decided_by", "decided_at", "revoked_at"]
    list_filter = ["rule", ("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["response", "rule", "reason", "decided_by", "decided_at"]
    readonly_fields += ["revoked_at", "revoked_by", "revoke_reason"]
    study_path = "response__wave__study"
