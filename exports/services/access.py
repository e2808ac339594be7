"""Who may export a study's data and download its exports: surveys.access decides.

Exporting needs Action.EXPORT on the study. An export's files are for the researcher who
asked for it and the study's admins: downloading needs Action.DOWNLOAD on the
study (owners and researchers; superusers everywhere) and, besides, being the requester or
holding Action.MANAGE_ACCESS (owners, superusers). An export may be passed on only by
those who answer for it, so a second researcher asks for their own. Having requested an
export gives no right of its own: once a user's role on the study is revoked, the job, its
links and its files are closed to them like everything else of the study.
"""

from __future__ import annotations

from typing import Any

from exports.models import ExportJob
from surveys.access import Action, can


def may_export(user: Any, study_id: int) -> bool:
    return user is not None and can(user, Action.EXPORT, study_id)


def may_download(user: Any, job: ExportJob) -> bool:
    if user is None or not can(user, Action.DOWNLOAD, job.study_id):
        return False
    is_requester = job.requested_by_id is not None and job.requested_by_id == user.pk
    return is_requester or can(user, Action.MANAGE_ACCESS, job.study_id)
