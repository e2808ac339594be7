"""Template context every respondent page needs, whichever view renders it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def leave_quickly(request: HttpRequest) -> dict[str, str]:
    """The site-wide "leave quickly" address (a study's own, if set, wins in the template)."""
    return {"leave_url": str(settings.PANELWAVE_LEAVE_URL)}
