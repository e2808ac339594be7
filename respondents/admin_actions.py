"""Admin actions on waves that the fieldwork admin (respondents/admin.py) mixes in:
cleaning, queued through the same `request_cleaning` as the API and the workspace, and
exporting, which leads to the workspace's export form (every option export_data has:
format, sample, layout, k, language...) with the selected waves ticked.

Who may run them is decided by the wave admin's `action_rights` (surveys.admin_access),
which narrows the selected waves to the studies where the user holds the right.
"""

from __future__ import annotations

from itertools import groupby

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from respondents.cleaning.requests import request_cleaning
from respondents.models import Wave

EXPORT_CHOOSE = "{study}: choose the format and the options of the export of {waves}."


def export_form_url(study_slug: str, wave_ids: list[int]) -> str:
    url = reverse("exports_ws:new", kwargs={"study": study_slug})
    return f"{url}?waves={','.join(str(pk) for pk in wave_ids)}"


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
    @admin.action(description="Export the selected waves (choose the format and options)")
    def export_action(
        self, request: HttpRequest, queryset: QuerySet[Wave]
    ) -> HttpResponseRedirect | None:
        waves = queryset.select_related("study").order_by("study__slug", "created_at")
        by_study = [(study, list(chosen)) for study, chosen in groupby(waves, lambda w: w.study)]
        if len(by_study) == 1:
            study, chosen = by_study[0]
            return HttpResponseRedirect(export_form_url(study.slug, [w.pk for w in chosen]))
        # One export is of one study: a link per study, each to its own form.
        for study, chosen in by_study:
            text = EXPORT_CHOOSE.format(
                study=study.slug, waves=", ".join(wave.name for wave in chosen)
            )
            link = export_form_url(study.slug, [wave.pk for wave in chosen])
            self.message_user(  # type: ignore[attr-defined]
                request, format_html('<a href="{}">{}</a>', link, text), messages.INFO
            )
        return None
