"""Celery tasks of exports: thin wrappers over exports.jobs (docs/conventions.md point 12)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from exports.jobs import (
    delete_expired_exports,
    record_failure,
    run_export_job,
    waiting_export_ids,
)


class ExportTask(Task):  # type: ignore[type-arg]
    """Records a failure that escaped the runner (after the last retry) on the job row."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        job_id = kwargs.get("job_id", args[0] if args else None)
        if job_id is not None:
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
    job = run_export_job(job_id)
    return job.pk if job is not None else None


@shared_task(name="exports.delete_expired_exports", acks_late=True)
def delete_expired_exports_task() -> int:
    return delete_expired_exports()


@shared_task(name="exports.requeue_waiting_exports", acks_late=True)
def requeue_waiting_exports_task() -> int:
    job_ids = waiting_export_ids()
    for job_id in job_ids:
        build_export_task.delay(job_id)
    return len(job_ids)
