"""API tokens (DRF authtoken): one per user, issued only by an operator on the server."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token

from surveys.access import ERROR_UNKNOWN_USER, AccessError

ERROR_TOKEN_EXISTS = "user {username!r} already has an API token; pass --rotate to replace it"  # noqa: S105 (a message, not a secret)
ERROR_INACTIVE = "user {username!r} is inactive"


@transaction.atomic
def create_api_token(username: str, *, rotate: bool = False) -> str:
    """Return a new token for the user. An existing token is replaced only when `rotate`,
    so a second call cannot silently cut off a script that uses the first."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise AccessError(ERROR_UNKNOWN_USER.format(username=username))
    if not user.is_active:
        raise AccessError(ERROR_INACTIVE.format(username=username))
    existing = Token.objects.filter(user=user)
    if existing.exists():
        if not rotate:
            raise AccessError(ERROR_TOKEN_EXISTS.format(username=username))
        existing.delete()
    return str(Token.objects.create(user=user).key)
