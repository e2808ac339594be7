"""Who may open a workspace page: every staff view of every app goes through here.

`study_page(action)` wraps a view whose URL carries `<slug:study>`: it signs the caller in,
holds them at the second factor when their roles demand it, answers 404 to anyone with no
role on the study (its existence does not leak) and 403 to a role that lacks the action,
then calls the view with the Study in place of the slug. `study_for` is the same check for
code that is not a view. Roles are read only by surveys.access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from config.accounts.twofactor import is_verified
from surveys.access import Action, actions_of, require, requires_two_factor
from surveys.models import Study

P = ParamSpec("P")
REQUEST_ATTRIBUTE = "workspace_study"


@dataclass(frozen=True)
class StudyAccess:
    """The study a page is about and what the caller may do there (for the nav)."""

    study: Study
    actions: frozenset[Action]

    def can(self) -> dict[str, bool]:
        return {action.value: action in self.actions for action in Action}


def study_for(request: HttpRequest, slug: str, action: Action | str) -> Study:
    """The study, if the signed-in caller may take `action` there; else Http404 (no role, or
    no such study) or PermissionDenied (a role without the action)."""
    study = Study.objects.filter(slug=slug).first()
    if study is None:
        raise Http404(slug)
    require(request.user, action, study)
    setattr(request, REQUEST_ATTRIBUTE, StudyAccess(study, actions_of(request.user, study)))
    return study


def needs_second_factor(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the second-factor page when the caller must pass it first."""
    user = request.user
    if user.is_authenticated and not is_verified(user) and requires_two_factor(user):
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('accounts:two-factor')}?{query}")
    return None


def staff_page(view: Callable[Concatenate[HttpRequest, P], HttpResponse]) -> Callable[..., Any]:
    """A workspace page not about one study: signed in, second factor passed if required."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return needs_second_factor(request) or view(request, *args, **kwargs)

    return wrapped


def study_page(
    action: Action,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view taking (request, study: Study, ...) whose URL has <slug:study>."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, study: str, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            refusal = needs_second_factor(request)
            if refusal is not None:
                return refusal
            return view(request, *args, study=study_for(request, study, action), **kwargs)

        return wrapped

    return decorate
