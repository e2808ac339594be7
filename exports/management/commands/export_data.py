"""export_data: build an anonymised export through the export task and copy its files out."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max

from exports.anonymise.limits import MAX_GLOBAL_RISK
from exports.describe import describe_disclosure
from exports.jobs import record_failure
from exports.models import ExportFormat, ExportJob, ExportLayout, ExportSample, ExportStatus
from exports.outdir import ERROR_SYMLINK, OutputRefusedError, copy_files
from exports.services import request_export

# With a real broker the command waits for a worker; it polls the job row this often.
POLL_SECONDS = 1.0
ERROR_FAILED = "export {job} failed: {error}"
ERROR_TIMEOUT = "export {job} did not finish within {seconds} s (status {status}); it keeps running"
ERROR_OUT = "--out {path} exists and is not a directory"
# What the job row records for an error the runner did not expect (exports/tasks.py).
UNEXPECTED = "unexpected error: {kind}"


class Command(BaseCommand):
    help = "Build an anonymised export of a study (through the export task) into --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--study", required=True, help="the study's slug")
        parser.add_argument("--waves", default="", help="W1,W2: wave names or ids (default all)")
        parser.add_argument("--format", required=True, choices=ExportFormat.values)
        parser.add_argument("--sample", required=True, choices=ExportSample.values)
        parser.add_argument("--layout", required=True, choices=ExportLayout.values)
        parser.add_argument("--k", type=int, default=5, help="k-anonymity to reach (>= 2)")
        parser.add_argument(
            "--max-risk",
            type=float,
            default=MAX_GLOBAL_RISK,
            help="largest expected re-identification rate ER/n the release may have (0.01); "
            "a gate only when the study declares its population size",
        )
        parser.add_argument("--include-flagged", action="store_true")
        parser.add_argument("--language", default=None, help="label language (study default)")
        parser.add_argument("--withhold-free-text", action="store_true")
        parser.add_argument(
            "--restricted",
            action="store_true",
            help="a restricted release for the study team: quasi-identifiers not recoded "
            "(never to be passed on)",
        )
        parser.add_argument(
            "--missing-codes",
            action="store_true",
            help="Parquet and CSV: keep missing answers' codes instead of nulls",
        )
        parser.add_argument("--out", required=True, type=Path, help="directory for the files")
        parser.add_argument("--timeout", type=int, default=settings.CELERY_TASK_TIME_LIMIT)
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if out.is_symlink():
            raise CommandError(ERROR_SYMLINK.format(path=out))
        if out.exists() and not out.is_dir():
            raise CommandError(ERROR_OUT.format(path=out))
        waves = [w.strip() for w in options["waves"].split(",") if w.strip()]
        # In embedded mode the task runs inside request_export and its errors propagate;
        # the job it saved is the newest one after this mark.
        mark = ExportJob.objects.aggregate(last=Max("pk"))["last"] or 0
        try:
            job = request_export(
                options["study"],
                requested_by=None,
                waves=waves or None,
                sample=options["sample"],
                layout=options["layout"],
                format=options["format"],
                k=options["k"],
                include_flagged=options["include_flagged"],
                language=options["language"],
                free_text="withhold" if options["withhold_free_text"] else "scrub",
                max_global_risk=options["max_risk"],
                missing_codes=options["missing_codes"],
                restricted=options["restricted"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(_messages(exc))) from exc
        except Exception as exc:
            failed = _failed_job(mark, exc)
            if failed is None:
                raise
            raise CommandError(ERROR_FAILED.format(job=failed.pk, error=_one_line(failed))) from exc
        job = self._wait(job.pk, options["timeout"], quiet=options["json"])
        sources = [Path(settings.MEDIA_ROOT) / relative for relative in job.files]
        try:
            names = copy_files(sources, out)
        except OutputRefusedError as exc:
            raise CommandError(str(exc)) from exc
        report = job.disclosure_report
        words = describe_disclosure(report, str(job.options.get("language") or "en"))
        summary = {
            "job": job.pk,
            "rows": job.rows,
            "k": job.options["k"],
            "k_reached": report.get("k_reached"),
            "release_gate_passed": bool((report.get("release_gate") or {}).get("passed")),
            "suppressed_share": report.get("suppressed_share", {}),
            "disclosure": words,
            "files": names,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(f"export {job.pk}: {job.rows} rows, {len(names)} files in {out}")
            for line in words:
                self.stdout.write(f"  {line}")

    def _wait(self, job_id: int, timeout: int, *, quiet: bool) -> ExportJob:
        deadline = time.monotonic() + timeout
        progress = -1
        while True:
            job = ExportJob.objects.get(pk=job_id)
            if job.status == ExportStatus.DONE:
                return job
            if job.status in (ExportStatus.FAILED, ExportStatus.EXPIRED):
                raise CommandError(ERROR_FAILED.format(job=job.pk, error=_one_line(job)))
            if time.monotonic() > deadline:
                message = ERROR_TIMEOUT.format(job=job.pk, seconds=timeout, status=job.status)
                raise CommandError(message)
            if not quiet and job.progress != progress:
                progress = job.progress
                self.stderr.write(f"export {job.pk}: {job.status} {progress}%")
            time.sleep(POLL_SECONDS)


def _failed_job(mark: int, exc: Exception) -> ExportJob | None:
    """The job the embedded task failed on, recorded as failed (its on_failure may not have
    run yet); None when the error came before any job was saved."""
    job = ExportJob.objects.filter(pk__gt=mark, requested_by=None).order_by("-pk").first()
    if job is None:
        return None
    if job.status != ExportStatus.FAILED:
        # The type only: an unexpected exception's text could quote data (exports/tasks.py).
        record_failure(job.pk, UNEXPECTED.format(kind=type(exc).__name__))
        job.refresh_from_db()
    return job


def _one_line(job: ExportJob) -> str:
    return " ".join((job.error or job.status).split())


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
    return list(exc.messages)
