"""Shapes and types only; the rules live in exports.services (docs/conventions.md point 8)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from config.links import site_link
from exports.anonymise.limits import MAX_GLOBAL_RISK
from exports.describe import describe_disclosure
from exports.models import ExportFormat, ExportJob, ExportLayout, ExportSample
from exports.services.requests import DEFAULT_K, FREE_TEXT_POLICIES, MAX_K, MIN_K


class RequestExportSerializer(serializers.Serializer[Any]):
    study = serializers.SlugField(help_text="The study's slug.")
    waves = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Wave ids or names; empty for every wave of the study.",
    )
    sample = serializers.ChoiceField(choices=ExportSample.choices, default=ExportSample.COMBINED)
    layout = serializers.ChoiceField(choices=ExportLayout.choices, default=ExportLayout.LONG)
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.CSV)
    k = serializers.IntegerField(
        default=DEFAULT_K,
        min_value=MIN_K,
        max_value=MAX_K,
        help_text="Every combination of quasi-identifiers is shared by at least k rows.",
    )
    max_global_risk = serializers.FloatField(
        default=MAX_GLOBAL_RISK,
        min_value=0.0001,
        max_value=1.0,
        help_text="Largest expected re-identification rate ER/n of the release; a gate only "
        "when the study declares its population size (docs/methods.md 5.6).",
    )
    include_flagged = serializers.BooleanField(default=False)
    language = serializers.CharField(required=False, allow_blank=True, default="")
    free_text = serializers.ChoiceField(choices=list(FREE_TEXT_POLICIES), default="scrub")
    restricted = serializers.BooleanField(
        default=False,
        help_text="A restricted release for the study team: quasi-identifiers not recoded; "
        "owners signed in with two-factor authentication only.",
    )
    missing_codes = serializers.BooleanField(
        default=False,
        help_text="Parquet and CSV: keep missing answers' codes instead of nulls.",
    )


class DownloadLinkSerializer(serializers.Serializer[Any]):
    file = serializers.CharField()
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ExportJobSerializer(serializers.ModelSerializer[ExportJob]):
    study = serializers.CharField(source="study.slug", read_only=True)
    url = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    disclosure = serializers.SerializerMethodField(
        help_text="The disclosure report in words: the release gate's verdict and the share "
        "of answers suppressed per quasi-identifier (or why the export is empty)."
    )

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "url",
            "study",
            "waves",
            "sample",
            "layout",
            "format",
            "options",
            "status",
            "progress",
            "rows",
            "files",
            "disclosure_report",
            "disclosure",
            "error",
            "created_at",
            "finished_at",
            "expires_at",
        ]
        read_only_fields = fields

    def get_url(self, job: ExportJob) -> str:
        path = reverse("export-status", args=[job.pk])
        return site_link(path)

    def get_disclosure(self, job: ExportJob) -> list[str]:
        if not job.disclosure_report:
            return []
        language = str(job.options.get("language") or "en")
        return describe_disclosure(job.disclosure_report, language)

    def get_files(self, job: ExportJob) -> list[str]:
        # File names only: where they live on disk is nobody's business.
        return [name.rsplit("/", 1)[-1] for name in job.files]
