"""Template context for the workspace shell: the study a page is about, for the study nav."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from surveys.workspace.access import REQUEST_ATTRIBUTE, StudyAccess


def workspace(request: HttpRequest) -> dict[str, Any]:
    access: StudyAccess | None = getattr(request, REQUEST_ATTRIBUTE, None)
    if access is None:
        return {}
    return {"ws_study": access.study, "ws_can": access.can()}
