"""Respondent pages: the open link, the personal link, the resume link, joining the panel.

Thin: each view resolves who is answering, calls a service in respondents/services/, and
renders. Pages work with plain form posts (no script needed); every POST ends in a
redirect (303) except a page refused for its answers, which is shown again with messages.
Nothing here reads the client address: only respondents/fingerprints.py does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypedDict

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import get_language_info
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.links import site_link
from respondents.fingerprints import fingerprint_request, network_fingerprint_request
from respondents.forms import (
    ACTION_FIELD,
    HONEYPOT_FIELD,
    PAGE_FIELD,
    RESUME_OFFER_FIELD,
    SHOWN_FIELD,
    STEP_FIELD,
    ConsentForm,
    JoinPanelForm,
    TookPartBeforeForm,
    build_page_view,
    piped_label,
    piped_plain,
)
from respondents.freetext import warnings
from respondents.models import Response, ResponseStatus, Wave
from respondents.roster_pages import build_roster_view, stored_as_raw
from respondents.services.form_schema import FormPage, FormSchema, load_form, localise
from respondents.services.linkage_verification import (
    ASKING_STATUSES,
    Refusal,
    Requested,
    VerificationRefusedError,
    can_ask,
    check_verification,
    confirm_verification,
    is_linked,
    request_verification,
)
from respondents.services.panel_signup import join_panel
from respondents.services.responses import (
    Action,
    PageResult,
    StartRefusedError,
    choose_language,
    current_step,
    progress,
    record_invitation_opened,
    record_page_view,
    start_response,
    submit_page,
    submit_page_by_token,
)
from respondents.services.rosters import (
    ROSTER_ACTION,
    entry_scope,
    entry_title,
    roster_entry,
)
from respondents.services.telegram_verification import start_link
from respondents.services.waves import clean_channel, is_accepting_responses
from respondents.tokens import (
    accept_resume_offer,
    offer_resume_token,
    resolve_invitation,
    resolve_resume_token,
)
from respondents.wave_row import wave_by_slug
from surveys.languages import is_rtl, local_name
from surveys.models import Study
from surveys.services.studies import respondent_title

# "no-referrer" (the site default) makes Chromium send `Origin: null` with form posts, which
# Django's CSRF check refuses; "same-origin" still sends nothing to any other host, so the
# tokens in these paths never leave the site.
REFERRER_POLICY = "same-origin"

OFFER_SESSION_PREFIX = "panelwave:offer:"
# A language button on a questionnaire page posts the page with this action prefix, so the
# answers typed so far are kept when the language changes (no script needed).
LANGUAGE_ACTION = "lang:"
# After "I took part before" the end page says one thing whether or not the address is known.
BEFORE_QUERY = "before"
BEFORE_ASKED = "asked"
BEFORE_LIMITED = "limit"
# The consent page's second button: agree, then offer to connect the earlier answers.
BEFORE_START_FIELD = "before"

CONTROL_FIELDS = frozenset(
    {"csrfmiddlewaretoken", PAGE_FIELD, STEP_FIELD, SHOWN_FIELD, ACTION_FIELD, HONEYPOT_FIELD}
)


def respondent_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Never cached (answers and tokens), and the referrer policy the CSRF check needs."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        page = view(request, *args, **kwargs)
        page["Referrer-Policy"] = REFERRER_POLICY
        return page

    return never_cache(wrapped)


def pick_language(request: HttpRequest, study: Study, current: str = "") -> str:
    """?lang= if the study has it, else the response's language, else Accept-Language."""
    languages = list(study.languages) or [study.default_language]
    explicit = str(request.GET.get("lang") or request.POST.get("lang") or "")
    if explicit in languages:
        return explicit
    if current in languages:
        return current
    header = str(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    for tag, _quality in parse_accept_lang_header(header):
        for candidate in (tag.lower(), tag.lower().split("-")[0]):
            if candidate in languages:
                return candidate
    return study.default_language if study.default_language in languages else languages[0]


def _language_links(study: Study) -> list[dict[str, str]]:
    links = []
    for code in study.languages:
        try:
            name = str(get_language_info(code)["name_local"])
        except KeyError:
            name = local_name(code)
        links.append({"code": code, "name": name})
    return links


def _render(
    request: HttpRequest,
    template: str,
    study: Study,
    language: str,
    context: Mapping[str, Any],
    status: int = 200,
) -> HttpResponse:
    with translation.override(language):
        page = render(
            request,
            f"respondents/{template}",
            {
                "study": study,
                "language": language,
                "languages": _language_links(study),
                "direction": "rtl" if is_rtl(language) else "ltr",
                **context,
                # A neutral title replaces the questionnaire's wherever the page shows one.
                **({"title": study.neutral_title} if study.neutral_title else {}),
            },
            status=status,
        )
    page["Content-Language"] = language
    return page


def _see_other(url: str) -> HttpResponse:
    redirect = HttpResponseRedirect(url)
    redirect.status_code = 303
    return redirect


def _unavailable(request: HttpRequest, study: Study | None = None) -> HttpResponse:
    # One page for unknown, withdrawn and closed links: it reveals nothing about a token.
    language = (
        pick_language(request, study) if study else translation.get_language_from_request(request)
    )
    with translation.override(language):
        return render(request, "respondents/unavailable.html", {"language": language}, status=404)


def _posted(request: HttpRequest) -> dict[str, list[str]]:
    return {key: request.POST.getlist(key) for key in request.POST if key not in CONTROL_FIELDS}


def _posted_step(request: HttpRequest) -> int:
    # A missing or garbled step can match no real step, so the post is treated as stale.
    # isdecimal, not isdigit: "²" is a digit that int() refuses (a 500 instead of "stale").
    raw = request.POST.get(STEP_FIELD, "")
    return int(raw) if raw.isdecimal() else -1


def _start(
    request: HttpRequest,
    wave: Wave,
    language: str,
    *,
    then: str = "respondents:resume",
    **link: Any,
) -> HttpResponse | Response:
    form = ConsentForm(request.POST)
    try:
        started = start_response(
            wave,
            language=language,
            fingerprint=fingerprint_request(wave, request),
            network_fingerprint=network_fingerprint_request(wave, request),
            resume_offer=form.resume_offer,
            honeypot_filled=form.honeypot_filled,
            **link,
        )
    except StartRefusedError as refused:
        if refused.reason == "closed":
            return _unavailable(request, wave.study)
        return _render(request, "rate_limited.html", wave.study, language, {}, status=429)
    if started.resume_token:
        return _see_other(reverse(then, args=[started.resume_token]))
    return started.response


@respondent_page
@require_http_methods(["GET", "POST"])
def open_link_view(request: HttpRequest, slug: str) -> HttpResponse:
    wave = wave_by_slug(slug)
    if wave is None or not is_accepting_responses(wave):
        return _unavailable(request, wave.study if wave else None)
    language = pick_language(request, wave.study)
    if request.method == "POST":
        # "I took part before" on the consent page starts the response on the page that
        # offers to connect it with the earlier answers.
        then = (
            "respondents:before" if request.POST.get(BEFORE_START_FIELD) else "respondents:resume"
        )
        started = _start(
            request,
            wave,
            language,
            then=then,
            channel=clean_channel(wave, request.GET.get("src", "")),
        )
        assert isinstance(started, HttpResponse)  # noqa: S101 (open-link starts always redirect)
        return started
    offer = _session_offer(request, wave)
    earlier = resolve_resume_token(accept_resume_offer(wave, offer))
    if earlier is not None and earlier.wave_id == wave.pk:
        # The browser's Back reached the consent page again: go on where the respondent is.
        url = reverse("respondents:resume", args=[accept_resume_offer(wave, offer)])
        query = f"?lang={language}" if request.GET.get("lang") else ""
        return _see_other(url + query)
    return _consent(request, wave, language, offer=offer, open_link=True)


def _session_offer(request: HttpRequest, wave: Wave) -> str:
    """The consent offer (a signed future resume token) this browser was given for the
    wave, kept in its session until the browser closes: consenting again after Back
    resumes the response the first consent started, and the consent page itself forwards
    to it. The session cookie is not persistent, so nothing outlives the browser."""
    key = f"{OFFER_SESSION_PREFIX}{wave.pk}"
    offer = str(request.session.get(key, ""))
    if not accept_resume_offer(wave, offer):
        offer = offer_resume_token(wave)
        request.session[key] = offer
        request.session.set_expiry(0)
    return offer


def _consent(
    request: HttpRequest, wave: Wave, language: str, *, offer: str = "", open_link: bool = False
) -> HttpResponse:
    schema = load_form(wave.version)
    context = {
        "wave": wave,
        "title": respondent_title(
            wave.study, language, form_titles=schema.title, form_language=schema.source_language
        ),
        # Nothing is answered yet: `${x}` shows what the calculations give, else nothing.
        "consent_text": piped_plain(
            schema,
            localise(dict(wave.study.consent_text), language, wave.study.default_language),
            {},
            language=language,
        ),
        "form_action": request.get_full_path(),
        "honeypot_field": HONEYPOT_FIELD,
        "src": request.GET.get("src", ""),
        # Posting this form twice resumes what the first post started (no script needed).
        "resume_offer_field": RESUME_OFFER_FIELD,
        "resume_offer": offer or offer_resume_token(wave),
        # Only an open-link respondent may be someone who took part before without a link.
        "before_field": BEFORE_START_FIELD if open_link else "",
    }
    return _render(request, "consent.html", wave.study, language, context)


@respondent_page
@require_http_methods(["GET", "POST"])
def personal_link_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = resolve_invitation(token)
    if invitation is None:
        return _unavailable(request)
    record_invitation_opened(invitation)
    url = reverse("respondents:personal", args=[token])
    response = (
        Response.objects.filter(invitation=invitation)
        .select_related("wave__study", "wave__version")
        .first()
    )
    if response is not None:
        return _page_flow(request, response, url=url, resume_link="")
    wave = invitation.wave
    if not is_accepting_responses(wave):
        return _unavailable(request, wave.study)
    language = pick_language(request, wave.study, invitation.member.preferred_language)
    if request.method == "GET":
        return _consent(request, wave, language)
    started = _start(request, wave, language, invitation=invitation)
    return started if isinstance(started, HttpResponse) else _see_other(url)


@respondent_page
@require_http_methods(["GET", "POST"])
def resume_view(request: HttpRequest, token: str) -> HttpResponse:
    url = reverse("respondents:resume", args=[token])
    if request.method == "POST":
        # One query finds and locks the response (a page POST's only read of it).
        submitted = submit_page_by_token(token, **_page_post(request))
        if submitted is None:
            return _unavailable(request)
        response, result = submitted
        return _after_post(request, response, result, url=url, resume_link=site_link(url))
    found = resolve_resume_token(token)
    if found is None:
        return _unavailable(request)
    return _page_flow(request, found, url=url, resume_link=site_link(url))


class _PagePost(TypedDict):
    page: str
    step: int
    data: dict[str, list[str]]
    action: Action
    shown: list[str] | None
    honeypot_filled: bool
    privacy: str
    roster: str


def _page_post(request: HttpRequest) -> _PagePost:
    posted_action = str(request.POST.get(ACTION_FIELD, ""))
    action: Action = "next"
    roster = ""
    if posted_action == "back":
        action = "back"
    elif posted_action.startswith(LANGUAGE_ACTION):
        action = "stay"
    elif posted_action.startswith(ROSTER_ACTION):
        # "Add another" and "remove" keep the page's answers and show it again.
        action, roster = "stay", posted_action.removeprefix(ROSTER_ACTION)
    return {
        "page": request.POST.get(PAGE_FIELD, ""),
        "step": _posted_step(request),
        "data": _posted(request),
        "action": action,
        "shown": request.POST.getlist(SHOWN_FIELD) or None,
        "honeypot_filled": bool(request.POST.get(HONEYPOT_FIELD, "").strip()),
        "privacy": request.POST.get(warnings.CHOICE_FIELD, ""),
        "roster": roster,
    }


def _after_post(
    request: HttpRequest, response: Response, result: PageResult, *, url: str, resume_link: str
) -> HttpResponse:
    switch_to = str(request.POST.get(ACTION_FIELD, "")).removeprefix(LANGUAGE_ACTION)
    if str(request.POST.get(ACTION_FIELD, "")).startswith(LANGUAGE_ACTION) and (
        switch_to in response.wave.study.languages
    ):
        choose_language(response, switch_to)
    if result.outcome == "closed":
        return _unavailable(request, response.wave.study)
    if result.outcome not in ("invalid", "privacy"):
        return _see_other(url)
    response.refresh_from_db()
    return _show_page(
        request,
        response,
        url=url,
        resume_link=resume_link,
        raw=_posted(request),
        errors=result.errors,
        privacy=result.privacy,
    )


def _page_flow(
    request: HttpRequest, response: Response, *, url: str, resume_link: str
) -> HttpResponse:
    if request.method == "POST":
        result = submit_page(response.pk, **_page_post(request))
        return _after_post(request, response, result, url=url, resume_link=resume_link)
    language = pick_language(request, response.wave.study, response.language)
    choose_language(response, language)
    if response.status == ResponseStatus.COMPLETED:
        return _show_end(request, response, url=url, form=JoinPanelForm())
    if response.status != ResponseStatus.IN_PROGRESS or not is_accepting_responses(response.wave):
        return _unavailable(request, response.wave.study)
    record_page_view(response)
    return _show_page(request, response, url=url, resume_link=resume_link, raw=None, errors={})


def _show_page(
    request: HttpRequest,
    response: Response,
    *,
    url: str,
    resume_link: str,
    raw: Mapping[str, list[str]] | None,
    errors: Mapping[str, str],
    privacy: Mapping[str, list[str]] | None = None,
) -> HttpResponse:
    schema = load_form(response.wave.version)
    page = schema.page(response.current_page) or schema.pages[0]
    language = response.language or schema.source_language
    position, total = progress(schema, response.answers, page.name)
    context = {
        "page": (build_page_view if page.repeat is None else build_roster_view)(
            schema,
            page,
            raw=stored_as_raw(page, response.answers) if raw is None else raw,
            answers=response.answers,
            errors=errors,
            language=language,
        ),
        "title": respondent_title(
            response.wave.study,
            language,
            form_titles=schema.title,
            form_language=schema.source_language,
        ),
        "position": position,
        "total": total,
        "step": current_step(response),
        "form_action": url,
        "resume_link": resume_link,
        "privacy": _privacy_notes(
            schema, page, privacy or {}, response.answers, raw or {}, language
        ),
        "fields": {
            "privacy": warnings.CHOICE_FIELD,
            "page": PAGE_FIELD,
            "step": STEP_FIELD,
            "shown": SHOWN_FIELD,
            "action": ACTION_FIELD,
            "honeypot": HONEYPOT_FIELD,
        },
    }
    context["language_form"] = "survey-page-form"
    context["language_action"] = f"{ACTION_FIELD}"
    context["language_prefix"] = LANGUAGE_ACTION
    return _render(request, "page.html", response.wave.study, language, context)


def _privacy_notes(
    schema: FormSchema,
    page: FormPage,
    privacy: Mapping[str, list[str]],
    answers: Mapping[str, Any],
    raw: Mapping[str, list[str]],
    language: str,
) -> list[dict[str, Any]]:
    """The flagged answers, by question label as the page pipes it, with what each seems to
    hold (in a roster, the field names its entry: `members:2:school`, whose label pipes
    that entry's answers)."""
    notes = []
    for question in page.questions:
        for name in (question.name, question.other_name):
            for key in privacy:
                entry = roster_entry(page, key, name)
                if key != name and entry is None:
                    continue
                label = piped_label(
                    schema,
                    question.labels,
                    entry_scope(page, answers, raw, entry),
                    language=language,
                    default=question.name,
                )
                if entry is not None:
                    label = format_html("{}: {}", entry_title(entry), label)
                notes.append({"key": key, "label": label, "categories": privacy[key]})
    return notes


def _show_end(
    request: HttpRequest,
    response: Response,
    *,
    url: str,
    form: JoinPanelForm,
    before_form: TookPartBeforeForm | None = None,
) -> HttpResponse:
    before = str(request.GET.get(BEFORE_QUERY, ""))
    linked = is_linked(response)
    asking = can_ask(response, linked=linked)
    context = {
        "is_linked": linked,
        "telegram_link": start_link(response) if asking else "",
        "can_join": response.invitation_id is None and response.member_id is None,
        "has_joined": response.invitation_id is None and response.member_id is not None,
        "join_action": url.rstrip("/") + "/join/",
        "form": form,
        "honeypot_field": HONEYPOT_FIELD,
        "can_say_before": asking,
        "before_action": url.rstrip("/") + "/before/",
        "before_form": before_form or TookPartBeforeForm(),
        "before_asked": before == BEFORE_ASKED,
        "before_limited": before == BEFORE_LIMITED,
    }
    return _render(request, "end.html", response.wave.study, response.language, context)


def _end_page_post(token: str, form: forms.Form) -> tuple[Response, str] | None:
    """The completed response a form on its end page was posted for, and the end page's URL;
    None when the token names no completed response. The form is validated here, in the
    respondent's language, so its messages are in that language (Django caches the errors,
    so the caller's `is_valid()` reads them without validating again)."""
    response = resolve_resume_token(token)
    if response is None or response.status != ResponseStatus.COMPLETED:
        return None
    with translation.override(response.language or "en"):
        form.is_valid()
    return response, reverse("respondents:resume", args=[token])


@respondent_page
@require_http_methods(["POST"])
def join_panel_view(request: HttpRequest, token: str) -> HttpResponse:
    form = JoinPanelForm(request.POST)
    found = _end_page_post(token, form)
    if found is None:
        return _unavailable(request)
    response, url = found
    if not form.is_valid():
        return _show_end(request, response, url=url, form=form)
    # A filled honeypot is a bot: it is thanked like a person but no member is created.
    if not form.cleaned_data["website"]:
        join_panel(
            response.pk, email=form.cleaned_data["email"], telegram=form.cleaned_data["telegram"]
        )
    return _see_other(url)


@respondent_page
@require_http_methods(["GET", "POST"])
def took_part_before_view(request: HttpRequest, token: str) -> HttpResponse:
    """ "I took part before": its own page while the questionnaire is being answered (the
    consent page's second button leads here), a form on the end page once it is finished.
    Either way the answer reads the same whether or not the address is known."""
    response = resolve_resume_token(token)
    if response is None or response.status not in ASKING_STATUSES:
        return _unavailable(request)
    if not is_accepting_responses(response.wave):
        # Said plainly: the wave closed, so nothing can be connected any more.
        language = pick_language(request, response.wave.study, response.language)
        context = {"is_closed": True}
        return _render(
            request, "verify_refused.html", response.wave.study, language, context, status=410
        )
    url = reverse("respondents:resume", args=[token])
    is_finished = response.status == ResponseStatus.COMPLETED
    form = TookPartBeforeForm(request.POST if request.method == "POST" else None)
    with translation.override(response.language or "en"):
        is_valid = form.is_valid()
    if request.method == "GET" or not is_valid:
        if is_finished and request.method == "POST":
            return _show_end(request, response, url=url, form=JoinPanelForm(), before_form=form)
        return _show_before(request, response, url=url, form=form)
    outcome = Requested.NOT_SENT
    # A filled honeypot is a bot: it reads the same answer, and no message goes out.
    if not form.cleaned_data["website"]:
        outcome = request_verification(response, form.cleaned_data["earlier_email"])
    shown = BEFORE_LIMITED if outcome == Requested.RATE_LIMITED else BEFORE_ASKED
    page = url if is_finished else reverse("respondents:before", args=[token])
    return _see_other(f"{page}?{BEFORE_QUERY}={shown}")


def _show_before(
    request: HttpRequest, response: Response, *, url: str, form: TookPartBeforeForm
) -> HttpResponse:
    before = str(request.GET.get(BEFORE_QUERY, ""))
    linked = is_linked(response)
    asking = can_ask(response, linked=linked)
    context = {
        "is_linked": linked,
        "can_say_before": asking,
        "before_action": url.rstrip("/") + "/before/",
        "before_form": form if form.is_bound else TookPartBeforeForm(),
        "before_asked": before == BEFORE_ASKED,
        "before_limited": before == BEFORE_LIMITED,
        "telegram_link": start_link(response) if asking else "",
        "honeypot_field": HONEYPOT_FIELD,
        "continue_link": url,
        "is_finished": response.status == ResponseStatus.COMPLETED,
    }
    language = pick_language(request, response.wave.study, response.language)
    return _render(request, "before.html", response.wave.study, language, context)


@respondent_page
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link of "I took part before": GET asks, POST links (a mail scanner that
    prefetches the link links nothing)."""
    try:
        found = check_verification(token)
        if request.method == "POST":
            confirm_verification(token)
    except VerificationRefusedError as refused:
        if refused.response is None:
            return _unavailable(request)
        context = {
            "is_used": refused.refusal == Refusal.USED,
            "is_closed": refused.refusal == Refusal.CLOSED,
        }
        study = refused.response.wave.study
        language = pick_language(request, study, refused.response.language)
        return _render(request, "verify_refused.html", study, language, context, status=410)
    study = found.response.wave.study
    language = pick_language(request, study, found.response.language)
    is_linked = request.method == "POST"
    return _render(request, "verify.html", study, language, {"is_linked": is_linked})
