"""Whether a request is for a respondent page (the `respondents` URL namespace: open and
personal links, resume, join, verify, withdraw). Decided once per request and kept on it:
the body limit and every middleware that skips staff-only work ask it."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import Resolver404, resolve

RESPONDENT_NAMESPACE = "respondents"
_FLAG = "_panelwave_respondent_page"


def is_respondent_page(path: str) -> bool:
    try:
        return resolve(path).namespace == RESPONDENT_NAMESPACE
    except Resolver404:
        return False


def is_respondent_request(request: HttpRequest) -> bool:
    known = getattr(request, _FLAG, None)
    if known is None:
        known = is_respondent_page(request.path_info)
        setattr(request, _FLAG, known)
    return bool(known)
