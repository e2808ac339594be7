"""The withdraw link of every invitation (`/w/<token>/`): GET asks for confirmation, POST
withdraws. Thin: the token is resolved by respondents.tokens and the withdrawal is
respondents.services.invitations.withdraw_member.

The page speaks the member's preferred language (the link came in a message written in
it); an unknown or erased member gets the same neutral page as a bad link.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from respondents.models import MemberStatus
from respondents.services.invitations import EMAIL_LANGUAGES, FALLBACK_LANGUAGE, withdraw_member
from respondents.tokens import resolve_withdraw_token
from respondents.views import respondent_page


@respondent_page
@require_http_methods(["GET", "POST"])
def withdraw_view(request: HttpRequest, token: str) -> HttpResponse:
    member = resolve_withdraw_token(token)
    if member is None:
        return render(request, "respondents/unavailable.html", status=404)
    language = member.preferred_language
    language = language if language in EMAIL_LANGUAGES else FALLBACK_LANGUAGE
    if request.method == "POST":
        withdraw_member(member)
        # Post/redirect/get: a reload shows the confirmation instead of posting again.
        return HttpResponseRedirect(request.path, status=303)
    with translation.override(language):
        return render(
            request,
            f"respondents/panel/withdraw_{language}.html",
            {"language": language, "is_withdrawn": member.status == MemberStatus.WITHDRAWN},
        )
