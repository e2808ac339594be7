"""Running queued form imports, and the temporary files of uploads and imports.

The import task (`surveys.import_form`) calls run_form_import; surveys/services/
form_imports.py queues the jobs. Temporary files live under PANELWAVE_TMP_DIR, are removed
when the request or the task ends, and delete_stale_temp_files (hourly) removes those a
killed process left behind.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from surveys.diff import ItemTypeChangedError
from surveys.formspec import FormError, FormProblem
from surveys.models import ImportStatus, QuestionnaireImport
from surveys.services.questionnaires import ImportResult, import_questionnaire

TEMP_PREFIX = "panelwave-"
# Nothing legitimate keeps a temporary file this long: a request is cut off by gunicorn's
# timeout and an import of the largest accepted form takes minutes.
STALE_TEMP_SECONDS = 3600
# A queued import still waiting after this long lost its message (broker down, or its
# worker killed mid-import: the import's transaction rolled back and left it queued).
REQUEUE_AFTER_SECONDS = 600


@dataclass(frozen=True)
class FormImportStatus:
    """What the API and the workspace show of an import."""

    id: int
    study: str
    filename: str
    status: str
    version: int | None
    items: int | None
    languages: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    # A refused form's bad rows, each {"message", "sheet", "row", "column"}.
    problems: list[dict[str, Any]] = field(default_factory=list)


def temp_dir() -> Path:
    directory = Path(settings.PANELWAVE_TMP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@contextmanager
def temporary_form_file(filename: str, content: Iterable[bytes]) -> Iterator[Path]:
    """`content` written to a file named `filename` in a fresh directory, removed on exit
    whatever happens (the sweep covers a killed process)."""
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX, dir=temp_dir()) as directory:
        path = Path(directory) / filename
        with path.open("wb") as out:
            for chunk in content:
                out.write(chunk)
        yield path


def _result_body(result: ImportResult) -> dict[str, Any]:
    return {
        "items": result.items,
        "languages": result.languages,
        "skipped": [{"row": s.row, "name": s.name, "type": s.type} for s in result.skipped],
        "warnings": result.warnings,
    }


@transaction.atomic
def run_form_import(job_id: int) -> None:
    """Import a queued form; safe to run twice. The row lock is held for the whole import,
    so a duplicate delivery waits and then finds the job finished; a killed worker rolls
    everything back and leaves the job queued for its redelivery or the sweep."""
    job = QuestionnaireImport.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.QUEUED:
        return
    with temporary_form_file(job.filename, iter([bytes(job.content)])) as path:
        try:
            result = import_questionnaire(path, study=job.study, **job.options)
        except FormError as exc:
            job.status, job.error = ImportStatus.FAILED, str(exc)
            job.result = {"problems": [detail.as_dict() for detail in exc.details]}
        except ItemTypeChangedError as exc:
            job.status, job.error = ImportStatus.FAILED, str(exc)
            job.result = {"problems": [FormProblem(str(exc)).as_dict()]}
        else:
            job.status, job.version = ImportStatus.DONE, result.version
            job.result = _result_body(result)
    job.content = b""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "version", "result", "content", "finished_at"])


def form_import_status(job_id: int) -> FormImportStatus | None:
    job = QuestionnaireImport.objects.select_related("study").filter(pk=job_id).first()
    if job is None:
        return None
    return FormImportStatus(
        id=job.pk,
        study=job.study.slug,
        filename=job.filename,
        status=job.status,
        version=job.version_id,
        items=job.result.get("items"),
        languages=list(job.result.get("languages", [])),
        skipped=list(job.result.get("skipped", [])),
        warnings=list(job.result.get("warnings", [])),
        error=job.error,
        problems=list(job.result.get("problems", [])),
    )


def waiting_import_ids() -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=REQUEUE_AFTER_SECONDS)
    waiting = QuestionnaireImport.objects.filter(status=ImportStatus.QUEUED, created_at__lt=cutoff)
    return list(waiting.values_list("pk", flat=True))


def delete_stale_temp_files(*, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Remove what killed processes left in PANELWAVE_TMP_DIR; the count removed."""
    cutoff = time.time() - older_than
    removed = 0
    for entry in temp_dir().iterdir():
        if entry.lstat().st_mtime >= cutoff:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed
