from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from django.db import connection
from django.utils import timezone

from exports import jobs
from exports.jobs import delete_expired_exports, run_export_job
from exports.models import AuditAction, AuditEntry, ExportJob, ExportStatus
from exports.writers import WRITERS, WriterError
from tests.conftest import postgres_only
from tests.exports.exporting import files_on_disk, partial_dirs, use_media
from tests.exports.fixtures import EXPECTED_ROWS, build_three_wave_panel

pytestmark = pytest.mark.django_db


def _run(job_id: int) -> Any:
    job = run_export_job(job_id)
    assert job is not None
    return job


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


def _job(panel: Any, **fields: Any) -> ExportJob:
    values = {
        "waves": list(panel.wave_ids),
        "sample": "combined",
        "layout": "long",
        "format": "csv",
        "options": {"k": 2},
    }
    return ExportJob.objects.create(study=panel.study, **{**values, **fields})


def test_run_export_job_publishes_data_codebook_and_report_with_the_status(media):
    panel = build_three_wave_panel()
    job = _job(panel, format="sav", sample="panel", layout="wide")

    done = _run(job.pk)

    assert done.status == ExportStatus.DONE
    assert done.progress == 100
    assert done.rows == EXPECTED_ROWS[("panel", "wide", False)]
    assert done.attempts == 1
    assert done.expires_at is not None
    assert done.disclosure_report["k_required"] == 2
    stem = f"{panel.study.slug}-panel-wide-{job.pk}"
    assert files_on_disk(media, done) == sorted(
        [
            f"{stem}.sav",
            "datapackage.json",
            f"{stem}_ddi.xml",
            f"{stem}_codebook.md",
            f"{stem}_disclosure.json",
        ]
    )
    assert sorted(done.files) == [f"exports/{job.pk}/{n}" for n in files_on_disk(media, done)]
    frame, _ = pyreadstat.read_sav(str(media / "exports" / str(job.pk) / f"{stem}.sav"))
    assert len(frame) == done.rows
    assert frame["pid"].is_unique
    assert partial_dirs(media) == []
    assert AuditEntry.objects.filter(job=job, action=AuditAction.EXPORT_BUILT).count() == 1


def test_run_export_job_does_nothing_for_a_job_already_done(media):
    panel = build_three_wave_panel()
    job = _job(panel)
    _run(job.pk)
    first = files_on_disk(media, job)

    again = run_export_job(job.pk)

    job.refresh_from_db()
    assert again is None
    assert job.attempts == 1
    assert files_on_disk(media, job) == first
    assert AuditEntry.objects.filter(job=job, action=AuditAction.EXPORT_BUILT).count() == 1


@postgres_only()
def test_run_export_job_leaves_a_job_another_worker_holds_alone(media):
    # given another worker's session holding the job's advisory lock
    import psycopg

    panel = build_three_wave_panel()
    job = _job(panel)
    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    other.execute("SELECT pg_advisory_lock(%s, %s)", [jobs.ADVISORY_LOCK_CLASS, job.pk])
    try:
        # when a duplicate delivery runs it
        result = run_export_job(job.pk)
    finally:
        other.close()

    # then it did nothing
    job.refresh_from_db()
    assert result is None
    assert job.status == ExportStatus.QUEUED
    assert job.attempts == 0
    assert files_on_disk(media, job) == []


def test_a_rerun_after_a_killed_worker_gives_one_complete_set_of_files(media, monkeypatch):
    # given a worker killed mid-export: the row still running, half-written files left behind
    # in its partial directory and a stale, unpublished job directory
    panel = build_three_wave_panel()
    job = _job(panel, format="parquet")
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, attempts=1, started_at=timezone.now() - timedelta(hours=3)
    )
    leftover = media / "exports" / ".partial" / f"{job.pk}-dead"
    leftover.mkdir(parents=True)
    (leftover / "half.parquet").write_bytes(b"PAR1")
    stale = media / "exports" / str(job.pk)
    stale.mkdir(parents=True)
    (stale / "old.parquet").write_bytes(b"PAR1")

    # when the redelivered task runs it
    done = _run(job.pk)

    # then one complete set of files, and only that, is published
    assert done.status == ExportStatus.DONE
    assert done.attempts == 2
    names = files_on_disk(media, done)
    assert "old.parquet" not in names
    assert len([n for n in names if n.endswith(".parquet")]) == 1
    data = next(media / f for f in done.files if f.endswith(".parquet"))
    assert len(pd.read_parquet(data)) == EXPECTED_ROWS[("combined", "long", False)]


def test_a_writer_failing_mid_export_leaves_no_files_and_a_failed_job(media, monkeypatch):
    # given a writer that writes part of its file, then refuses the data
    panel = build_three_wave_panel()
    job = _job(panel)

    def half_then_fail(dataset, directory, *, basename, progress=None):
        (directory / f"{basename}.csv").write_text("pid\n")
        raise WriterError("variable 'x' is not valid")

    monkeypatch.setitem(WRITERS, "csv", half_then_fail)

    done = _run(job.pk)

    assert done.status == ExportStatus.FAILED
    assert done.error == "variable 'x' is not valid"
    assert done.files == []
    assert files_on_disk(media, done) == []
    assert partial_dirs(media) == []


def test_run_export_job_records_a_bad_request_as_failed(media):
    panel = build_three_wave_panel()
    job = _job(panel, waves=[])

    done = _run(job.pk)

    assert done.status == ExportStatus.FAILED
    assert done.error == "choose at least one wave to export"


def test_delete_expired_exports_removes_files_and_marks_the_job(media):
    panel = build_three_wave_panel()
    job = _job(panel)
    _run(job.pk)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    expired = delete_expired_exports()

    job.refresh_from_db()
    assert expired == 1
    assert job.status == ExportStatus.EXPIRED
    assert job.files == []
    assert not (media / "exports" / str(job.pk)).exists()
