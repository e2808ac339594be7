"""API tokens (DRF authtoken): one per user, issued only by an operator on the server.

A token is a single factor. A user whose role can see contact details must use two-factor
authentication (surveys.access.requires_two_factor), so for them a token is accepted only
while they have a confirmed authenticator, and is issued only once they have one: the token
then stands for a session of someone who has enrolled and proved the second factor, and a
role granted later, or an authenticator removed, stops the token at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from config.accounts.twofactor import has_confirmed_device
from surveys.access import ERROR_UNKNOWN_USER, AccessError, requires_two_factor

ERROR_TOKEN_EXISTS = "user {username!r} already has an API token; pass --rotate to replace it"  # noqa: S105 (a message, not a secret)
ERROR_INACTIVE = "user {username!r} is inactive"
ERROR_NEEDS_TWO_FACTOR = (
    "user {username!r} has a role that sees contact details and must enrol an authenticator "
    "(/accounts/two-factor/enrol/) before getting an API token"
)
ERROR_SECOND_FACTOR_MISSING = (
    "Your role sees contact details: enrol an authenticator at /accounts/two-factor/enrol/ "
    "before using an API token."
)


def lacks_second_factor(user: Any) -> bool:
    """Must use two-factor authentication but has no confirmed authenticator."""
    return requires_two_factor(user) and not has_confirmed_device(user)


@transaction.atomic
def create_api_token(username: str, *, rotate: bool = False) -> str:
    """Return a new token for the user. An existing token is replaced only when `rotate`,
    so a second call cannot silently cut off a script that uses the first."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise AccessError(ERROR_UNKNOWN_USER.format(username=username))
    if not user.is_active:
        raise AccessError(ERROR_INACTIVE.format(username=username))
    if lacks_second_factor(user):
        raise AccessError(ERROR_NEEDS_TWO_FACTOR.format(username=username))
    existing = Token.objects.filter(user=user)
    if existing.exists():
        if not rotate:
            raise AccessError(ERROR_TOKEN_EXISTS.format(username=username))
        existing.delete()
    return str(Token.objects.create(user=user).key)


class TwoFactorTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, refused (401) for a user who must use two-factor
    authentication and has no confirmed authenticator."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if lacks_second_factor(user):
            raise exceptions.AuthenticationFailed(ERROR_SECOND_FACTOR_MISSING)
        return user, token
