"""Celery tasks of exports: thin wrappers over exports.jobs (docs/conventions.md point 12)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

# The runners (exports.jobs, and exports.retention and the backup service, which use it)
# are imported inside each task: they load pandas, pyarrow, the file writers and the
# free-text scrubber (spaCy), which every web process and command imports this module for
# (to enqueue) and would otherwise load at start-up.

logger = logging.getLogger(__name__)


class ExportTask(Task):  # type: ignore[type-arg]
    """Records a failure that escaped the runner (after the last retry) on the job row."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        job_id = kwargs.get("job_id", args[0] if args else None)
        if job_id is not None:
            from exports.jobs import record_failure  # noqa: PLC0415 (heavy: loaded on use)

            # The type only: an unexpected exception's text could quote data.
            record_failure(int(job_id), f"unexpected error: {type(exc).__name__}")


# Retries only for a lost database connection (transient); the runner records every error
# in the request or the data on the row at once. Safe to run twice (exports/jobs.py).
@shared_task(
    base=ExportTask,
    name="exports.build_export",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def build_export_task(job_id: int) -> int | None:
    from exports.jobs import run_export_job  # noqa: PLC0415 (heavy: loaded on use)

    job = run_export_job(job_id)
    return job.pk if job is not None else None


@shared_task(name="exports.delete_expired_exports", acks_late=True)
def delete_expired_exports_task() -> int:
    from exports.jobs import delete_expired_exports  # noqa: PLC0415 (heavy: loaded on use)

    return delete_expired_exports()


@shared_task(name="exports.requeue_waiting_exports", acks_late=True)
def requeue_waiting_exports_task() -> int:
    from exports.jobs import waiting_export_ids  # noqa: PLC0415 (heavy: loaded on use)

    job_ids = waiting_export_ids()
    for job_id in job_ids:
        build_export_task.delay(job_id)
    return len(job_ids)


@shared_task(name="exports.nightly_backup", acks_late=False)
def nightly_backup_task() -> str | None:
    # Not acks_late: a backup cut short by a restart is simply made again the next night,
    # rather than redelivered to run beside the next scheduled one.
    if not settings.PANELWAVE_BACKUP_RECIPIENT:
        logger.error("nightly backup skipped: PANELWAVE_BACKUP_RECIPIENT is not set")
        return None
    from exports.backups.service import nightly_backup  # noqa: PLC0415 (heavy: loaded on use)

    made = nightly_backup()
    return str(made.file)


@shared_task(name="exports.apply_retention", acks_late=True)
def apply_retention_task() -> dict[str, int]:
    from exports.retention import apply_retention  # noqa: PLC0415 (heavy: loaded on use)

    runs = apply_retention()
    return {
        "contacts": sum(run.contacts for run in runs),
        "unfinished_responses": sum(run.unfinished_responses for run in runs),
        "export_jobs": sum(run.export_jobs for run in runs),
    }
