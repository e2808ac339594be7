"""Middlewares that do staff-only work, skipped on respondent pages.

A respondent has no sign-in, no second factor and no flash messages: authentication,
django-otp and messages only cost time there (a submit is two requests, so each runs twice
per page). Each class here subclasses the library's own, so Django's admin checks still
find it in MIDDLEWARE, and staff pages get the original behaviour unchanged. Axes stays as
it is: its check wants its own class by name, and it only looks at a flag after the view. CSRF, security headers, CSP, frame options and the session stay on
every page. Without these, request.user is absent on respondent pages: templates still see
an anonymous user (the auth context processor supplies one), and no respondent view reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.http import HttpRequest
from django_otp.middleware import OTPMiddleware as LibraryOTPMiddleware

from config.respondentpaths import is_respondent_request


class _SkippedOnRespondentPages:
    get_response: Callable[[HttpRequest], Any]

    def __call__(self, request: HttpRequest) -> Any:
        if is_respondent_request(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class AuthenticationMiddleware(_SkippedOnRespondentPages, DjangoAuthenticationMiddleware):
    pass


class OTPMiddleware(_SkippedOnRespondentPages, LibraryOTPMiddleware):  # type: ignore[misc]
    pass


class MessageMiddleware(_SkippedOnRespondentPages, DjangoMessageMiddleware):
    pass
