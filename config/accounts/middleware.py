"""Holds a signed-in user who must use two-factor authentication at the second-factor page
until they have passed it, on every staff page and the session-authenticated API.

Token-authenticated API calls never reach this check with a user (DRF authenticates inside
the view); for them config/accounts/tokens.py refuses a token of anyone who must use two
factors and has no confirmed authenticator.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.accounts.twofactor import is_verified
from surveys.access import requires_two_factor

PROTECTED_PREFIXES = ("/admin/", "/dashboard/", "/workspace/", "/api/")
SECOND_FACTOR_NEEDED = gettext_noop(
    "Your role requires two-factor authentication: verify at {url} first."
)


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_verify(request):
            url = reverse("accounts:two-factor")
            if request.path.startswith("/api/"):
                message = _(SECOND_FACTOR_NEEDED).format(url=url)
                return JsonResponse({"detail": message, "field": None}, status=403)
            return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _must_verify(request: HttpRequest) -> bool:
        # The path first: reading request.user loads the session, and with
        # SESSION_SAVE_EVERY_REQUEST writes it back, which respondent pages never need.
        if not request.path.startswith(PROTECTED_PREFIXES):
            return False
        user = request.user
        if not user.is_authenticated:
            return False
        if is_verified(user):
            return False
        return requires_two_factor(user)
