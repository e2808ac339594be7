"""Django's session middleware, without the per-request session write on respondent pages.

SESSION_SAVE_EVERY_REQUEST keeps a staff sign-in alive while it is used (its expiry slides
with each request). On a respondent page that never reads the session, Django would still
load the session row and write it back on every request that carries the cookie (a
respondent keeps the browser-session cookie the open link sets for its resume offer):
two queries per page for nothing, since that session ends with the browser anyway. There,
an untouched session is left as it is; a page that reads or changes it is saved as usual.
"""

from __future__ import annotations

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse

from config.respondentpaths import is_respondent_request


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and is_respondent_request(request)
            and not session.accessed
            and not session.modified
        ):
            return response
        return super().process_response(request, response)
