"""The study dashboard's exports panel: the latest jobs and their files, for those who may
export (registered with the dashboard in exports/apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from exports.models import ExportJob
from surveys.access import Action
from surveys.models import Study

RECENT_JOBS = 20


def recent_exports(study: Study, allowed: frozenset[Action]) -> Mapping[str, Any]:
    if Action.EXPORT not in allowed:
        return {"exports": None}
    jobs = ExportJob.objects.filter(study=study).order_by("-created_at")[:RECENT_JOBS]
    # File names for the download links, which lead through the exports workspace (a fresh
    # signed link per click).
    return {"exports": [(job, [PurePosixPath(path).name for path in job.files]) for job in jobs]}
