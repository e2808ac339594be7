"""Who may export a study's data and download its exports: surveys.access decides.

Exporting needs Action.EXPORT on the study and downloading Action.DOWNLOAD (owners and
researchers; superusers everywhere). Having requested an export gives no right of its own:
once a user's role on the study is revoked, the job, its links and its files are closed to
them like everything else of the study.
"""

from __future__ import annotations

from typing import Any

from exports.models import ExportJob
from surveys.access import Action, can


def may_export(user: Any, study_id: int) -> bool:
    return user is not None and can(user, Action.EXPORT, study_id)


def may_download(user: Any, job: ExportJob) -> bool:
    return user is not None and can(user, Action.DOWNLOAD, job.study_id)
