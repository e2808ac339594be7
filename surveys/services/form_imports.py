"""Form uploads from staff (API, admin, workspace): bounded, then imported at once or by a
Celery task.

Every upload is checked against the file bounds before anything parses it (the same check
import_questionnaire makes for the command). A form of up to FORM_IMPORT_INLINE_ROWS rows
is imported inside the request; a larger one is stored as a QuestionnaireImport row and
imported by the `surveys.import_form` task (surveys/formimports.py), and
form_import_status says how it went (for the API and the workspace).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from config.inputerrors import InputError
from config.queueing import enqueue_on_commit
from surveys.diff import ItemTypeChangedError
from surveys.formimports import FormImportStatus, form_import_status, temporary_form_file
from surveys.formspec import FormError
from surveys.models import QuestionnaireImport, Study
from surveys.services.questionnaires import ImportResult, check_form_bounds, import_questionnaire
from surveys.tasks import import_form_task

__all__ = [
    "FormImportStatus",
    "FormUploadOutcome",
    "form_import_status",
    "temporary_form_file",
    "upload_form",
]


@dataclass(frozen=True)
class FormUploadOutcome:
    """Either the finished import (a small form) or the queued one (a large form)."""

    result: ImportResult | None
    queued: QuestionnaireImport | None


def upload_form(
    path: Path,
    *,
    study: Study,
    options: dict[str, Any],
    requested_by: Any = None,
) -> FormUploadOutcome:
    """Bound the file at `path`, then import it now or queue it (see the module doc).

    `options` are import_questionnaire's keywords. Raises InputError naming "file" for a
    refused file."""
    try:
        return _import_or_queue(path, study=study, options=options, requested_by=requested_by)
    except FormError as exc:
        # The refusal is about the uploaded file: the API answers it under "file", each
        # bad row on its own with its sheet, row and column.
        problems = [detail.as_dict() for detail in exc.details]
        raise InputError(str(exc), field="file", problems=problems) from exc
    except ItemTypeChangedError as exc:
        raise InputError(str(exc), field="file") from exc


def _import_or_queue(
    path: Path, *, study: Study, options: dict[str, Any], requested_by: Any
) -> FormUploadOutcome:
    shape = check_form_bounds(path)
    # Choice list files live in the request's temporary directory: such a form is read
    # while they exist, whatever its size.
    if shape.rows <= settings.FORM_IMPORT_INLINE_ROWS or options.get("media") is not None:
        result = import_questionnaire(path, study=study, **options)
        return FormUploadOutcome(result=result, queued=None)
    job = QuestionnaireImport.objects.create(
        study=study,
        requested_by=requested_by,
        filename=path.name,
        content=path.read_bytes(),
        options=options,
    )
    enqueue_on_commit(import_form_task, job.pk)
    return FormUploadOutcome(result=None, queued=job)
