"""Retention periods per study, applied and previewed in one place (docs/operations.md):
contact details, unfinished responses (respondents/services/retention.py) and export
files (exports/jobs.py). The daily beat task applies them and writes the counts to the
export audit log; the preview says what will go when, for the command and the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from exports.jobs import expire_exports
from exports.models import AuditAction, AuditEntry, ExportJob, ExportStatus
from respondents.services.retention import (
    RetentionPolicy,
    contact_schedule,
    delete_expired_contacts,
    delete_unfinished_responses,
    retention_policy,
    unfinished_schedule,
)
from surveys.models import Study

CONTACTS = "contacts"
UNFINISHED = "unfinished_responses"
EXPORTS = "export_jobs"


@dataclass(frozen=True)
class RetentionRun:
    study: str
    contacts: int
    unfinished_responses: int
    export_jobs: int

    @property
    def anything(self) -> bool:
        return bool(self.contacts or self.unfinished_responses or self.export_jobs)


@dataclass(frozen=True)
class Due:
    """`count` items of `kind` go on `day` (or at the next run, when `day` has passed)."""

    kind: str
    day: date
    count: int


@dataclass(frozen=True)
class RetentionPlan:
    study: str
    policy: RetentionPolicy
    ended_at: datetime | None
    due: list[Due]


def apply_retention(now: datetime | None = None) -> list[RetentionRun]:
    """Delete what every study's periods say is due; one audit entry per study that lost
    anything, with the counts."""
    moment = now or timezone.now()
    runs = []
    for study in Study.objects.order_by("slug"):
        run = RetentionRun(
            study=study.slug,
            contacts=delete_expired_contacts(study, moment),
            unfinished_responses=delete_unfinished_responses(study, moment),
            export_jobs=expire_exports(moment, study_id=study.pk).get(study.pk, 0),
        )
        if run.anything:
            AuditEntry.objects.create(
                study=study,
                action=AuditAction.RETENTION_APPLIED,
                detail={
                    CONTACTS: run.contacts,
                    UNFINISHED: run.unfinished_responses,
                    EXPORTS: run.export_jobs,
                },
            )
        runs.append(run)
    return runs


def retention_plan(study: Study) -> RetentionPlan:
    """What will go when, as things stand now, earliest first."""
    schedules = {
        CONTACTS: contact_schedule(study),
        UNFINISHED: unfinished_schedule(study),
        EXPORTS: _export_schedule(study),
    }
    due = [
        Due(kind=kind, day=day, count=count)
        for kind, schedule in schedules.items()
        for day, count in schedule.items()
    ]
    return RetentionPlan(
        study=study.slug,
        policy=retention_policy(study),
        ended_at=study.ended_at,
        due=sorted(due, key=lambda item: (item.day, item.kind)),
    )


def _export_schedule(study: Study) -> dict[date, int]:
    done = ExportJob.objects.filter(study=study, status=ExportStatus.DONE, expires_at__isnull=False)
    counted = done.annotate(day=TruncDate("expires_at")).values("day").annotate(n=Count("pk"))
    return {row["day"]: int(row["n"]) for row in counted}
