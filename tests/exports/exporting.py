"""Helpers for the export job, service, API, command and download tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exports.models import ExportJob
from surveys.models import StudyMembership, StudyRole
from tests.builders import make_user


def use_media(settings: Any, tmp_path: Path) -> Path:
    """Point MEDIA_ROOT at a fresh directory (each test module's `media` fixture calls it)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def member(study: Any, username: str, role: str = StudyRole.RESEARCHER) -> Any:
    user = make_user(username)
    StudyMembership.objects.create(study=study, user=user, role=role)
    return user


def files_on_disk(media: Path, job: ExportJob) -> list[str]:
    root = media / "exports" / str(job.pk)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def partial_dirs(media: Path) -> list[Path]:
    root = media / "exports" / ".partial"
    return list(root.iterdir()) if root.exists() else []
