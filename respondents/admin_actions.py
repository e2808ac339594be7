"""Admin actions on waves that the fieldwork admin (respondents/admin.py) mixes in:
cleaning, run through the same task as `clean_wave` and the API."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from config.queueing import enqueue_on_commit
from respondents.models import Wave
from respondents.tasks import clean_wave_task


class WaveCleaningActionsMixin:
    @admin.action(description="Run the cleaning rules")
    def clean_action(self, request: HttpRequest, queryset: QuerySet[Wave]) -> None:
        waves = list(queryset.values_list("pk", "name"))
        for wave_id, _name in waves:
            enqueue_on_commit(clean_wave_task, wave_id)
        names = ", ".join(name for _pk, name in waves)
        self.message_user(  # type: ignore[attr-defined]
            request, f"Cleaning queued for {names}.", messages.SUCCESS
        )
