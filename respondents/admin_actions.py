"""Admin actions on waves that the fieldwork admin (respondents/admin.py) mixes in:
cleaning, run through the same task as `clean_wave` and the API, and exporting, through
the same `request_export` as `export_data` and the API.

Who may run them is decided by the wave admin's `action_rights` (surveys.admin_access),
which narrows the selected waves to the studies where the user holds the right.
"""

from __future__ import annotations

from itertools import groupby

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from exports.services import request_export
from respondents.models import Wave
from respondents.services.cleaning import request_cleaning

EXPORT_QUEUED = "Export {job} of {study} ({waves}) queued: anonymised CSV, every response, long."


class WaveCleaningActionsMixin:
    @admin.action(description="Run the cleaning rules")
    def clean_action(self, request: HttpRequest, queryset: QuerySet[Wave]) -> None:
        waves = list(queryset)
        for wave in waves:
            request_cleaning(wave)
        names = ", ".join(wave.name for wave in waves)
        self.message_user(  # type: ignore[attr-defined]
            request, f"Cleaning queued for {names}.", messages.SUCCESS
        )


class WaveExportActionsMixin:
    @admin.action(description="Export the selected waves (anonymised CSV, one job per study)")
    def export_action(self, request: HttpRequest, queryset: QuerySet[Wave]) -> None:
        waves = queryset.select_related("study").order_by("study__slug", "created_at")
        for study, study_waves in groupby(waves, key=lambda wave: wave.study):
            chosen = list(study_waves)
            try:
                job = request_export(
                    study, requested_by=request.user, waves=[wave.pk for wave in chosen]
                )
            except (ValidationError, PermissionDenied) as exc:
                problem = " ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(  # type: ignore[attr-defined]
                    request, f"{study.slug}: {problem}", messages.ERROR
                )
                continue
            text = EXPORT_QUEUED.format(
                job=job.pk, study=study.slug, waves=", ".join(wave.name for wave in chosen)
            )
            link = reverse("dashboard:study", args=[study.slug])
            self.message_user(  # type: ignore[attr-defined]
                request,
                format_html('{} <a href="{}">Follow it on the dashboard.</a>', text, link),
                messages.SUCCESS,
            )
