"""Who may export a study's data and download its exports.

The requester of an export, a user whose role on the study is owner or researcher, or a
superuser. Viewers and fieldwork managers see fieldwork, not microdata.
"""

from __future__ import annotations

from typing import Any

from exports.models import ExportJob
from surveys.models import StudyMembership, StudyRole

EXPORTING_ROLES = (StudyRole.OWNER, StudyRole.RESEARCHER)


def may_export(user: Any, study_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return StudyMembership.objects.filter(
        study_id=study_id, user_id=user.pk, role__in=EXPORTING_ROLES
    ).exists()


def may_download(user: Any, job: ExportJob) -> bool:
    if user is None or not user.is_authenticated:
        return False
    # The requester keeps access to their own export...
    if job.requested_by_id is not None and job.requested_by_id == user.pk:
        return True
    # ...and the study's admins may fetch any export of it.
    return may_export(user, job.study_id)
