"""The withdraw link of every invitation (`/w/<token>/`): GET asks for confirmation, POST
withdraws. Thin: the token is resolved by respondents.tokens and the withdrawal is
respondents.services.invitations.withdraw_member.

The page speaks the language the member's messages were written in (preferred language,
else the study's default: respondents.delivery.message_language), with the same language
switch (?lang=) as the other respondent pages; an unknown or erased member gets the same
neutral page as a bad link.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import get_language_info
from django.views.decorators.http import require_http_methods

from respondents.delivery import EMAIL_LANGUAGES, message_language
from respondents.models import MemberStatus
from respondents.services.invitations import withdraw_member
from respondents.tokens import resolve_withdraw_token
from respondents.views import respondent_page


def _languages() -> list[dict[str, str]]:
    return [
        {"code": code, "name": str(get_language_info(code)["name_local"])}
        for code in EMAIL_LANGUAGES
    ]


@respondent_page
@require_http_methods(["GET", "POST"])
def withdraw_view(request: HttpRequest, token: str) -> HttpResponse:
    member = resolve_withdraw_token(token)
    if member is None:
        return render(request, "respondents/unavailable.html", status=404)
    explicit = str(request.GET.get("lang", ""))
    language = explicit if explicit in EMAIL_LANGUAGES else message_language(member)
    if request.method == "POST":
        withdraw_member(member)
        # Post/redirect/get: a reload shows the confirmation instead of posting again; the
        # query keeps the language chosen.
        return HttpResponseRedirect(request.get_full_path(), status=303)
    with translation.override(language):
        page = render(
            request,
            f"respondents/panel/withdraw_{language}.html",
            {
                "language": language,
                "languages": _languages(),
                "is_withdrawn": member.status == MemberStatus.WITHDRAWN,
            },
        )
    page["Content-Language"] = language
    return page
