"""request_export: validate an export request, save the job and enqueue it after commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from config.accounts.twofactor import is_verified
from config.inputerrors import InputError
from config.queueing import enqueue_on_commit
from exports.anonymise.limits import MAX_GLOBAL_RISK
from exports.models import (
    AuditAction,
    AuditEntry,
    ExportFormat,
    ExportJob,
    ExportLayout,
    ExportSample,
)
from exports.services.access import may_export
from exports.tasks import build_export_task
from respondents.models import Wave
from surveys.access import Action, can
from surveys.models import Study, StudyMembership, StudyRole

DEFAULT_K = 5
MIN_K = 2
# Disclosure-control practice uses k of 3 to 10 (the SDC Handbook's usual thresholds); a
# k in the hundreds would suppress nearly every quasi-identifier of a wave of a few
# thousand completes, leaving a release nobody can use, and every group (wave, country)
# smaller than k makes the export fail. 50 leaves ample room above practice.
MAX_K = 50
FREE_TEXT_POLICIES = ("scrub", "withhold")

ERROR_STUDY = "study {study!r} does not exist"
ERROR_NO_WAVES = "study {study!r} has no waves to export"
ERROR_WAVE = "wave {wave!r} does not belong to study {study!r}"
ERROR_DUPLICATE_WAVE = "wave {wave!r} is listed twice"
ERROR_CHOICE = "{field} must be one of {choices} (got {value!r})"
ERROR_K = f"k must be an integer of at least {MIN_K} and at most {MAX_K} (got {{k!r}})"
ERROR_MAX_RISK = "max_global_risk must be a number above 0 and at most 1 (got {value!r})"
ERROR_LANGUAGE = "language must be one of the study's languages {choices} (got {value!r})"
ERROR_PERMISSION = "only the study's owners and researchers may export its data"
ERROR_RESTRICTED = (
    "a restricted release (quasi-identifiers not recoded) is only for the study's owners "
    "signed in with two-factor authentication"
)
# The same for a study that does not exist and one the user holds no role on, so that an
# outsider cannot learn which studies exist.
ERROR_STUDY_NOT_FOUND = "study {study!r} not found"


class StudyNotVisible(PermissionDenied):
    """The study does not exist, or the requesting user holds no role on it."""


def request_export(
    study: Study | str,
    *,
    requested_by: Any | None,
    waves: Sequence[int | str] | None = None,
    sample: str = ExportSample.COMBINED,
    layout: str = ExportLayout.LONG,
    format: str = ExportFormat.CSV,  # the name the API and the command use
    k: int = DEFAULT_K,
    include_flagged: bool = False,
    language: str | None = None,
    free_text: str = "scrub",
    max_global_risk: float = MAX_GLOBAL_RISK,
    missing_codes: bool = False,
    restricted: bool = False,
) -> ExportJob:
    """Save an export job and build it after commit.

    `requested_by` None means the operator's shell (the export_data command); a user must
    be allowed to export the study (StudyNotVisible when they hold no role on it, as when
    it does not exist). Waves are ids or names; none means every wave.
    """
    with transaction.atomic(durable=True):
        study = _study(study, requested_by)
        if requested_by is not None and not may_export(requested_by, study.pk):
            raise PermissionDenied(ERROR_PERMISSION)
        if (
            restricted
            and requested_by is not None
            and not may_export_restricted(requested_by, study)
        ):
            raise PermissionDenied(ERROR_RESTRICTED)
        _choice("sample", sample, ExportSample.values)
        _choice("layout", layout, ExportLayout.values)
        _choice("format", format, ExportFormat.values)
        _choice("free_text", free_text, list(FREE_TEXT_POLICIES))
        # type(), not isinstance: True is an int too, and k arrives from JSON and the shell.
        if type(k) is not int or not MIN_K <= k <= MAX_K:
            raise InputError(ERROR_K.format(k=k), field="k")
        # docs/methods.md 5.6 gates a release on ER/n <= 0.01 (sdcMicro's default); a team whose
        # data-use agreement sets another limit says so here, and the report records it.
        if isinstance(max_global_risk, bool) or not 0 < max_global_risk <= 1:
            raise InputError(ERROR_MAX_RISK.format(value=max_global_risk), field="max_global_risk")
        language = language or study.default_language
        if study.languages and language not in study.languages:
            message = ERROR_LANGUAGE.format(choices=study.languages, value=language)
            raise InputError(message, field="language")
        job = ExportJob(
            study=study,
            waves=resolve_waves(study, waves),
            sample=sample,
            layout=layout,
            format=format,
            options={
                "k": k,
                "include_flagged": include_flagged,
                "language": language,
                "free_text": free_text,
                "max_global_risk": float(max_global_risk),
                "missing_codes": bool(missing_codes),
                "restricted": bool(restricted),
            },
            requested_by=requested_by,
        )
        job.full_clean()
        job.save()
        AuditEntry.objects.create(
            job=job,
            study=study,
            user=requested_by,
            action=AuditAction.EXPORT_REQUESTED,
            detail={
                "sample": sample,
                "layout": layout,
                "format": format,
                "waves": job.waves,
                **job.options,
            },
        )
        job_id = job.pk
        # A broker outage leaves the job queued; exports.requeue_waiting_exports sends it again.
        enqueue_on_commit(build_export_task, job_id)
    return job


def may_export_restricted(user: Any, study: Study) -> bool:
    """Owners of the study whose session passed the second factor (or the operator's
    shell, which sees every study anyway)."""
    is_owner = StudyMembership.objects.filter(
        study=study, user_id=user.pk, role=StudyRole.OWNER
    ).exists()
    return is_owner and is_verified(user)


def _study(study: Study | str, requested_by: Any | None) -> Study:
    found = study if isinstance(study, Study) else Study.objects.filter(slug=study).first()
    if requested_by is None:
        # The operator's shell sees every study; the command names the missing one.
        if found is None:
            raise InputError(ERROR_STUDY.format(study=study), field="study")
        return found
    if found is None or not can(requested_by, Action.VIEW_FIGURES, found):
        slug = found.slug if found is not None else study
        raise StudyNotVisible(ERROR_STUDY_NOT_FOUND.format(study=slug))
    return found


def _choice(field: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        message = ERROR_CHOICE.format(field=field, choices=", ".join(choices), value=value)
        raise InputError(message, field=field)


def resolve_waves(study: Study, waves: Sequence[int | str] | None) -> list[int]:
    """Wave ids in fielding order; each given by id or by name, all of this study."""
    fielded = list(
        Wave.objects.filter(study=study)
        .order_by("opens_at", "created_at", "pk")
        .values_list("pk", "name")
    )
    if not waves:
        if not fielded:
            raise InputError(ERROR_NO_WAVES.format(study=study.slug), field="waves")
        return [pk for pk, _ in fielded]
    by_name = {name: pk for pk, name in fielded}
    ids = {pk for pk, _ in fielded}
    chosen: list[int] = []
    for wave in waves:
        text = str(wave).strip()
        pk = by_name.get(text)
        if pk is None and text.isdigit() and int(text) in ids:
            pk = int(text)
        if pk is None:
            raise InputError(ERROR_WAVE.format(wave=wave, study=study.slug), field="waves")
        if pk in chosen:
            raise InputError(ERROR_DUPLICATE_WAVE.format(wave=wave), field="waves")
        chosen.append(pk)
    order = [pk for pk, _ in fielded]
    return sorted(chosen, key=order.index)
