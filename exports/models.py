"""Export jobs and the audit log of exports and downloads."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from surveys.models import Study


class ExportSample(models.TextChoices):
    COMBINED = "combined", "Combined: every response"
    PANEL = "panel", "Panel: people seen in two or more waves"
    BALANCED = "balanced", "Balanced: people seen in every wave"


class ExportLayout(models.TextChoices):
    LONG = "long", "Long: one row per person and wave"
    WIDE = "wide", "Wide: one row per person"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV (UTF-8)"
    SAV = "sav", "SPSS .sav"
    DTA = "dta", "Stata .dta"
    PARQUET = "parquet", "Parquet"
    RDS = "rds", "R .rds"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ExportJob(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="export_jobs")
    # Wave ids in the order they were fielded.
    waves = models.JSONField(default=list)
    sample = models.CharField(max_length=16, choices=ExportSample.choices)
    layout = models.CharField(max_length=16, choices=ExportLayout.choices)
    format = models.CharField(max_length=16, choices=ExportFormat.choices)
    # k, include_flagged, label language, free-text handling (scrub or withhold).
    options = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    # 0-100, updated per chunk.
    progress = models.PositiveSmallIntegerField(default=0)
    # Paths relative to MEDIA_ROOT, written only once the whole job succeeded.
    files = models.JSONField(default=list, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    disclosure_report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["study", "status"], name="exportjob_study_status")]

    def __str__(self) -> str:
        return f"export {self.pk} {self.study_id} {self.sample}/{self.layout}/{self.format}"


class AuditAction(models.TextChoices):
    EXPORT_REQUESTED = "export_requested", "Export requested"
    EXPORT_BUILT = "export_built", "Export built"
    DOWNLOADED = "downloaded", "Downloaded"
    DOWNLOAD_REFUSED = "download_refused", "Download refused"
    # Counts only (contacts, unfinished responses, export jobs), never who or what.
    RETENTION_APPLIED = "retention_applied", "Retention periods applied"


class AuditEntry(models.Model):
    """Who did what to which export, when. Rows are only ever added."""

    job = models.ForeignKey(ExportJob, null=True, on_delete=models.SET_NULL, related_name="audit")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="export_audit")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    # What was exported or downloaded (file name, sample, formats); never data values.
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action} export {self.job_id} by {self.user_id}"


class RakingMargins(models.Model):
    """Population margins a study's combined-sample exports are raked to (set_margins):
    {item: {answer: share}}, shares summing to 1 per item."""

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="raking_margins")
    margins = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"margins of study {self.study_id}"
