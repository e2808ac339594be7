"""Stored scrubs of free-text answers, and a study's free-text settings.

Registered through respondents/models.py (app label `respondents`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ScrubbedAnswer(models.Model):
    """One free-text answer as it may be released: scrubbed once, when the response was
    completed or imported, and again in the background when the scrubber changes. Holds
    the counts by kind and the positions of what was replaced, never the values."""

    response = models.ForeignKey(
        "respondents.Response", on_delete=models.CASCADE, related_name="scrubbed_answers"
    )
    # The answer's key in Response.answers: an item name, or an item name and "_other".
    key = models.CharField(max_length=110)
    text = models.TextField()
    # Kind -> how many were replaced.
    found = models.JSONField(default=dict, blank=True)
    # [[start, end, kind], ...]: offsets in the cleaned answer, for the review page.
    spans = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField()
    # Keyed hash of the answer scrubbed: a changed answer is scrubbed again.
    digest = models.CharField(max_length=64)
    # Why the whole answer was withheld ("too_long", "unreadable"), if it was.
    refused = models.CharField(max_length=16, blank=True)
    scrubbed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "key"], name="scrub_per_answer"),
        ]
        indexes = [models.Index(fields=["version"], name="scrub_version")]

    def __str__(self) -> str:
        return f"scrub of {self.key} in response {self.response_id} (v{self.version})"


class FreeTextSettings(models.Model):
    """Per study: public figures kept beyond the built-in list, and free-text questions
    withheld from every export."""

    study = models.OneToOneField(
        "surveys.Study", on_delete=models.CASCADE, related_name="free_text_settings"
    )
    # Lower-case names (Russian in dictionary form, Latin as written).
    extra_figures = models.JSONField(default=list, blank=True)
    # Answer keys (item names, or item name + "_other") released as withheld only.
    withheld_keys = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"free-text settings of study {self.study_id}"


class DecisionAction(models.TextChoices):
    RESTORE = "restore", "Restore a replacement"
    REDACT = "redact", "Redact a further span"


class FreeTextDecision(models.Model):
    """A reviewer's correction of one scrubbed answer, applied by every later export and
    every later scrub of the same answer. Never deleted: a decision taken back is revoked,
    so the list is the audit trail (who, when, what, why)."""

    response = models.ForeignKey(
        "respondents.Response", on_delete=models.CASCADE, related_name="free_text_decisions"
    )
    key = models.CharField(max_length=110)
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    # Offsets in the cleaned answer (as ScrubbedAnswer.spans).
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    # The answer the decision was taken on (ScrubbedAnswer.digest): a changed answer
    # drops it.
    digest = models.CharField(max_length=64)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["response", "key"], name="decision_per_answer")]

    def __str__(self) -> str:
        return f"{self.action} {self.start}-{self.end} of {self.key} in response {self.response_id}"
