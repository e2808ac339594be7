"""Signed, expiring download links, and resolving them: the only way to an export's files.

A link names one file of one job and the user it was made for, signed with Django's
TimestampSigner and valid for settings.EXPORT_LINK_TTL. Resolving it checks the signature
and age, that the job is done, that the file is one of the job's files, that the user
following it is the one it was made for, and that this user may still download the study's
exports. Every download, and every refusal whose job is known, is written to the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from exports.models import AuditAction, AuditEntry, ExportJob, ExportStatus
from exports.services.access import may_download

logger = logging.getLogger(__name__)

SALT = "exports.download"
REFUSED_SIGNATURE = "the download link is not valid"
REFUSED_EXPIRED = "the download link has expired"
REFUSED_NOT_READY = "the export is not available (status: {status})"
REFUSED_FILE = "the file is not part of this export"
REFUSED_OTHER_USER = "the download link was made for another user"
REFUSED_ACCESS = "you may not download this study's exports"


class DownloadRefused(PermissionDenied):
    """A download link was refused; the message says why and holds no secret."""


@dataclass(frozen=True)
class DownloadLink:
    file: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Download:
    job: ExportJob
    path: Path
    file: str


def make_download_links(job: ExportJob, user: Any) -> list[DownloadLink]:
    """One signed link per file of a finished job, for a user allowed to download it."""
    if job.status != ExportStatus.DONE:
        raise DownloadRefused(REFUSED_NOT_READY.format(status=job.status))
    if not may_download(user, job):
        raise DownloadRefused(REFUSED_ACCESS)
    return [make_download_link(job, user, file=Path(f).name) for f in job.files]


def make_download_link(job: ExportJob, user: Any, *, file: str) -> DownloadLink:
    if not may_download(user, job):
        raise DownloadRefused(REFUSED_ACCESS)
    token = signing.TimestampSigner(salt=SALT).sign_object(
        {"job": job.pk, "file": file, "user": user.pk}
    )
    return DownloadLink(
        file=file,
        url=reverse("exports:download", args=[token]),
        expires_at=timezone.now() + settings.EXPORT_LINK_TTL,
    )


def resolve_download(token: str, user: Any) -> Download:
    """The file a link leads to, audited; raises DownloadRefused (also audited)."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        payload = signer.unsign_object(token, max_age=settings.EXPORT_LINK_TTL)
    except signing.SignatureExpired:
        # Genuine but old: the job is known, so the refusal can be audited.
        payload = signer.unsign_object(token)
        _refuse(payload, user, REFUSED_EXPIRED)
    except signing.BadSignature:
        # A forged or mangled link names no job we can trust: log, without the token.
        logger.warning("export download refused: bad signature (user %s)", user.pk)
        raise DownloadRefused(REFUSED_SIGNATURE) from None
    job = ExportJob.objects.filter(pk=payload["job"]).first()
    if job is None:
        raise DownloadRefused(REFUSED_SIGNATURE)
    if job.status != ExportStatus.DONE:
        _refuse(payload, user, REFUSED_NOT_READY.format(status=job.status), job=job)
    names = {Path(f).name: f for f in job.files}
    if payload["file"] not in names:
        _refuse(payload, user, REFUSED_FILE, job=job)
    if payload["user"] != user.pk:
        _refuse(payload, user, REFUSED_OTHER_USER, job=job)
    if not may_download(user, job):
        _refuse(payload, user, REFUSED_ACCESS, job=job)
    AuditEntry.objects.create(
        job=job,
        study_id=job.study_id,
        user=user if user.is_authenticated else None,
        action=AuditAction.DOWNLOADED,
        detail={"file": payload["file"]},
    )
    path = Path(settings.MEDIA_ROOT) / names[payload["file"]]
    return Download(job=job, path=path, file=payload["file"])


def _refuse(
    payload: dict[str, Any], user: Any, reason: str, *, job: ExportJob | None = None
) -> None:
    if job is None and isinstance(payload.get("job"), int):
        job = ExportJob.objects.filter(pk=payload["job"]).first()
    if job is not None:
        AuditEntry.objects.create(
            job=job,
            study_id=job.study_id,
            user=user if user.is_authenticated else None,
            action=AuditAction.DOWNLOAD_REFUSED,
            detail={"file": str(payload.get("file", "")), "reason": reason},
        )
    raise DownloadRefused(reason)
