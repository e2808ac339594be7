"""Every link the system prints or sends (open and personal links, invitations, download
links, command output) starts with SITE_URL: the address respondents and staff reach the
site by, which the request's own Host header (a proxy's internal name, a port the server
listens on) need not be."""

from __future__ import annotations

from django.conf import settings


def site_link(path: str) -> str:
    """The absolute link to a path of this site (a path starts with "/")."""
    return f"{settings.SITE_URL}{path}"
