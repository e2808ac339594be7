"""run_export_job: build one export's files and publish them with the status change.

Safe to run twice (docs/conventions.md point 12):
- The claim: on PostgreSQL a session advisory lock on the job id proves no other worker is
  building it (a killed worker's connection closes and frees it), then a conditional UPDATE
  moves the row from queued/running to running. A duplicate delivery finds the lock held, or
  the row done, and does nothing; a redelivery after a killed worker takes the free lock and
  re-runs. On SQLite (embedded, one process) a running row is re-claimed once it is older
  than the task's hard time limit.
- The files: written into MEDIA_ROOT/exports/.partial/<job>-<random>/, then renamed to
  MEDIA_ROOT/exports/<job>/ inside the transaction that marks the job done, so readers see
  either no files or one complete set. A partial directory left by a killed worker is never
  published, and one left by a crash between rename and commit is replaced on the re-run.
- The pseudonym key is made here, used once, and never stored: a re-run makes a new one.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from exports.anonymise.kanon import KAnonymityError
from exports.anonymise.limits import MAX_GLOBAL_RISK
from exports.anonymise.pseudonyms import new_export_key
from exports.assembly import AssemblyError, build_dataset
from exports.codebook import ExportDescription, write_codebook
from exports.dataset import ExportSpec
from exports.models import AuditAction, AuditEntry, ExportJob, ExportStatus
from exports.repeats import write_rosters
from exports.sampling import SampleError
from exports.writers import WriterError, get_writer
from respondents.models import Wave
from respondents.services.retention import retention_policy

logger = logging.getLogger(__name__)

EXPORTS_DIR = "exports"
PARTIAL_DIR = ".partial"
# Namespace of the two-key advisory lock (pg_try_advisory_lock(class, id)): export jobs.
ADVISORY_LOCK_CLASS = 6_006
# Progress: assembly (sampling, k-anonymity) is the first 5%, rows written the next 90%,
# the codebook and publishing the rest.
PROGRESS_ASSEMBLED = 5
PROGRESS_WRITTEN = 95
# Errors in the request or the data that a retry cannot fix: recorded, not retried.
TERMINAL_ERRORS = (SampleError, AssemblyError, WriterError, KAnonymityError)


def export_root() -> Path:
    return Path(settings.MEDIA_ROOT) / EXPORTS_DIR


def job_directory(job_id: int) -> Path:
    return export_root() / str(job_id)


def run_export_job(job_id: int) -> ExportJob | None:
    """Build and publish the job's files; None when this delivery had nothing to do."""
    with _claimed(job_id) as job:
        if job is None:
            return None
        try:
            _build(job)
        except TERMINAL_ERRORS as exc:
            _fail(job, str(exc))
        except DatabaseError:
            _requeue(job)
            raise
        job.refresh_from_db()
        return job


def record_failure(job_id: int, error: str) -> None:
    """Mark a job failed (the task's on_failure calls this for unexpected errors)."""
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportStatus.DONE).update(
        status=ExportStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


@contextmanager
def _claimed(job_id: int) -> Iterator[ExportJob | None]:
    if connection.vendor != "postgresql":
        yield _mark_running(job_id, lock_held=False)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_LOCK_CLASS, job_id])
        (locked,) = cursor.fetchone() or (False,)
    if not locked:
        # Another worker is building this job right now: a duplicate delivery.
        yield None
        return
    try:
        yield _mark_running(job_id, lock_held=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_LOCK_CLASS, job_id])


def _mark_running(job_id: int, *, lock_held: bool) -> ExportJob | None:
    now = timezone.now()
    claimable = Q(status=ExportStatus.QUEUED)
    if lock_held:
        # Running without the lock held by anyone: its worker died; take it over.
        claimable |= Q(status=ExportStatus.RUNNING)
    else:
        stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        claimable |= Q(status=ExportStatus.RUNNING, started_at__lt=stale)
    claimed = (
        ExportJob.objects.filter(claimable, pk=job_id).update(
            status=ExportStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            progress=0,
            error="",
        )
        == 1
    )
    return ExportJob.objects.select_related("study").get(pk=job_id) if claimed else None


def _build(job: ExportJob) -> None:
    options = job.options
    spec = ExportSpec(
        study_id=job.study_id,
        wave_ids=tuple(job.waves),
        sample=job.sample,  # type: ignore[arg-type]  # validated by request_export
        layout=job.layout,  # type: ignore[arg-type]
        k=int(options.get("k", 5)),
        include_flagged=bool(options.get("include_flagged", False)),
        language=str(options.get("language") or job.study.default_language),
        free_text=options.get("free_text", "scrub"),
        pseudonym_key=new_export_key(),
        max_global_risk=float(options.get("max_global_risk", MAX_GLOBAL_RISK)),
        missing_codes=bool(options.get("missing_codes", False)),
        restricted=bool(options.get("restricted", False)),
    )
    dataset = build_dataset(spec)
    _set_progress(job.pk, PROGRESS_ASSEMBLED)
    partial = export_root() / PARTIAL_DIR / f"{job.pk}-{uuid.uuid4().hex}"
    partial.mkdir(parents=True)
    try:
        basename = f"{job.study.slug}-{job.sample}-{job.layout}-{job.pk}"
        if spec.restricted:
            basename += "-restricted"
        written = get_writer(job.format)(
            dataset, partial, basename=basename, progress=_Progress(job.pk, dataset.rows)
        )
        about = ExportDescription(
            study=job.study.slug,
            format=job.format,
            sample=job.sample,
            layout=job.layout,
            waves=tuple(_wave_names(job.waves)),
            language=spec.language,
            k=spec.k,
            include_flagged=spec.include_flagged,
            created_at=timezone.now(),
            export_id=job.pk,
        )
        extra = write_rosters(dataset, job.format, about, partial, basename=basename)
        extra += write_codebook(dataset, written, about, partial, basename=basename)
        names = [p.name for p in [*written.paths, *extra]]
        _publish(job, partial, names, rows=written.rows, report=dict(dataset.disclosure_report))
    finally:
        # Gone already when published; otherwise an incomplete set nobody may see.
        shutil.rmtree(partial, ignore_errors=True)


def _wave_names(wave_ids: list[int]) -> list[str]:
    names = dict(Wave.objects.filter(pk__in=wave_ids).values_list("pk", "name"))
    return [names[w] for w in wave_ids if w in names]


class _Progress:
    """Writes the job's progress after a chunk, only when the percentage moved."""

    def __init__(self, job_id: int, rows: int) -> None:
        self.job_id = job_id
        self.rows = max(rows, 1)
        self.last = PROGRESS_ASSEMBLED

    def __call__(self, written: int) -> None:
        span = PROGRESS_WRITTEN - PROGRESS_ASSEMBLED
        percent = PROGRESS_ASSEMBLED + span * min(written, self.rows) // self.rows
        if percent != self.last:
            self.last = percent
            _set_progress(self.job_id, percent)


def _set_progress(job_id: int, percent: int) -> None:
    ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(progress=percent)


def _publish(
    job: ExportJob, partial: Path, names: list[str], *, rows: int, report: dict[str, object]
) -> None:
    final = job_directory(job.pk)
    now = timezone.now()
    with transaction.atomic():
        done = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE,
            progress=100,
            files=[f"{EXPORTS_DIR}/{job.pk}/{name}" for name in names],
            rows=rows,
            disclosure_report=report,
            finished_at=now,
            expires_at=now + timedelta(days=retention_policy(job.study).export_days),
            error="",
        )
        if done != 1:
            # The row was failed or expired meanwhile; publish nothing.
            return
        AuditEntry.objects.create(
            job=job,
            study_id=job.study_id,
            user_id=job.requested_by_id,
            action=AuditAction.EXPORT_BUILT,
            detail={
                "format": job.format,
                "rows": rows,
                "files": names,
                "restricted": bool(job.options.get("restricted", False)),
            },
        )
        if final.exists():
            # Left by a run killed between this rename and its commit: never published.
            shutil.rmtree(final)
        os.rename(partial, final)


def _fail(job: ExportJob, error: str) -> None:
    logger.warning("export %s failed: %s", job.pk, error)
    record_failure(job.pk, error)


def _requeue(job: ExportJob) -> None:
    """Put a job back for the retry after a transient database error, if the database lets us."""
    try:
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.QUEUED
        )
    except DatabaseError:
        logger.warning("export %s: could not requeue after a database error", job.pk)


def waiting_export_ids(*, now: datetime | None = None) -> list[int]:
    """Jobs that should have started by now: queued, or running, for longer than
    EXPORT_REQUEUE_AFTER. Their message was never published (the broker was down) or its
    worker died; enqueuing them again is safe, since a delivery for a job that is in fact
    being built finds its lock held and does nothing."""
    cutoff = (now or timezone.now()) - settings.EXPORT_REQUEUE_AFTER
    waiting = Q(status=ExportStatus.QUEUED, created_at__lt=cutoff) | Q(
        status=ExportStatus.RUNNING, started_at__lt=cutoff
    )
    return list(ExportJob.objects.filter(waiting).order_by("pk").values_list("pk", flat=True))


def delete_expired_exports() -> int:
    """Delete the files of exports past their expiry, noting the count per study in the
    audit log; returns how many jobs expired."""
    expired = expire_exports(timezone.now())
    for study_id, jobs in expired.items():
        AuditEntry.objects.create(
            study_id=study_id, action=AuditAction.RETENTION_APPLIED, detail={"export_jobs": jobs}
        )
    _delete_stale_partials()
    return sum(expired.values())


def expire_exports(now: datetime, *, study_id: int | None = None) -> dict[int, int]:
    """Expire done jobs past their expires_at and delete their files; jobs per study."""
    due = ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now)
    if study_id is not None:
        due = due.filter(study_id=study_id)
    expired: dict[int, int] = {}
    for job_id, job_study in due.values_list("pk", "study_id"):
        # Conditional: a concurrent sweep expires each job once.
        if ExportJob.objects.filter(pk=job_id, status=ExportStatus.DONE).update(
            status=ExportStatus.EXPIRED, files=[]
        ):
            shutil.rmtree(job_directory(job_id), ignore_errors=True)
            expired[job_study] = expired.get(job_study, 0) + 1
    return expired


def _delete_stale_partials() -> None:
    """Partial directories older than a task could run were left by killed workers."""
    root = export_root() / PARTIAL_DIR
    if not root.exists():
        return
    cutoff = time.time() - settings.CELERY_TASK_TIME_LIMIT - 600
    for path in root.iterdir():
        if path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
