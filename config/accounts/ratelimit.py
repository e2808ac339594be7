"""Login rate limiting (django-axes) without IP addresses.

Axes locks out by username only (settings.AXES_LOCKOUT_PARAMETERS) and counts failures in
the cache. It still asks for the client's address for its log lines and cache keys; this
callable answers None, so no staff member's IP is recorded anywhere (docs/design.md, privacy).
"""

from __future__ import annotations

from django.http import HttpRequest


def no_client_ip(request: HttpRequest) -> None:
    return None
