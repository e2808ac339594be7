"""Answering a wave: start_response, submit_page, record_page_view, choose_language.

Every write locks the response row and checks the page and step the form was rendered
for, so a double click or a retried POST is applied once: the second request finds the
step already advanced and changes nothing ("stale"), and the respondent is sent to the page
they are really on. Answers live in one JSON document per response (models.py), so no
retry can duplicate a row either.

Paradata (server clock only): `paradata["pages"][page] = {"seconds", "visits"}`, the
XLSForm metadata the version asks for in `paradata["metadata"]` (start, end, today; device
and subscriber IDs are never recorded), and the navigation state in `paradata["nav"]`
(`step`, the number of page moves so far; `entered_at`, when the current page was entered).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypedDict, Unpack

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from redis.exceptions import RedisError

from config.queueing import enqueue_on_commit
from respondents.freetext import tasks as freetext_tasks
from respondents.freetext import warnings
from respondents.models import Invitation, Response, ResponseStatus, Wave
from respondents.response_update import save_columns
from respondents.services.answers import (
    AnswerValue,
    PageCheck,
    page_is_asked,
    prune_hidden,
    relevant_pages,
    with_calculations,
)
from respondents.services.form_schema import FormSchema, load_form
from respondents.services.rosters import check_any_page, free_text_fields
from respondents.services.start_counts import count_starts
from respondents.services.waves import is_accepting_responses
from respondents.tokens import (
    accept_resume_offer,
    hash_token,
    new_resume_token,
    resolve_resume_token,
)

logger = logging.getLogger(__name__)

END_PAGE = "end"
# A page left open longer than this was abandoned and picked up again later: the time away
# is not time spent answering, so the clock restarts and a new visit is counted.
RESUME_GAP_SECONDS = 30 * 60
# Metadata types recorded from the server clock; every other type (deviceid, phonenumber,
# subscriberid, simserial, username, email, audit) would identify the person, so it stays
# empty whatever the XLSForm asks.
RECORDED_METADATA = frozenset({"start", "end", "today"})

# "stay": keep the valid answers of the page and stay on it (the language was switched).
Action = Literal["next", "back", "stay"]
# "closed": the wave takes no answers any more (closed, or past its close time); nothing
# is saved, and the respondent is shown the same page as a GET of the link would show.
Outcome = Literal[
    "advanced", "back", "stayed", "completed", "invalid", "expanded", "stale", "closed", "privacy"
]


class StartRefusedError(Exception):
    """A response cannot be started; `reason` is "closed" or "rate_limited"."""

    def __init__(self, reason: Literal["closed", "rate_limited"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StartedResponse:
    response: Response
    # The raw resume token of a new open-link response; "" for invited respondents, whose
    # personal link already resumes.
    resume_token: str


@dataclass(frozen=True)
class PageResult:
    outcome: Outcome
    errors: dict[str, str] = field(default_factory=dict)
    # "privacy": answer key -> what it seems to hold ("name", "address", "contact").
    privacy: dict[str, list[str]] = field(default_factory=dict)


def _nav(response: Response) -> dict[str, Any]:
    nav: dict[str, Any] = response.paradata.setdefault("nav", {"step": 0, "entered_at": None})
    return nav


def current_step(response: Response) -> int:
    return int(response.paradata.get("nav", {}).get("step", 0))


def _enter_page(response: Response, page: str, now: datetime) -> None:
    nav = _nav(response)
    nav["step"] = int(nav.get("step", 0)) + 1
    nav["entered_at"] = now.timestamp()
    response.current_page = page
    if page != END_PAGE:
        entry = response.paradata.setdefault("pages", {}).setdefault(
            page, {"seconds": 0.0, "visits": 0}
        )
        entry["visits"] += 1


def _leave_page(response: Response, page: str, now: datetime) -> None:
    entered_at = _nav(response).get("entered_at")
    if entered_at is None:
        return
    entry = response.paradata.setdefault("pages", {}).setdefault(
        page, {"seconds": 0.0, "visits": 1}
    )
    entry["seconds"] = round(float(entry["seconds"]) + max(0.0, now.timestamp() - entered_at), 3)


def _record_metadata(response: Response, schema: FormSchema, kind: str, now: datetime) -> None:
    metadata = response.paradata.setdefault("metadata", {})
    for name, field_type in schema.metadata_fields:
        if field_type != kind or field_type not in RECORDED_METADATA:
            continue
        metadata[name] = now.date().isoformat() if kind == "today" else now.isoformat()


def _check_start_rate(wave: Wave, fingerprint: str, network: str = "") -> None:
    """Refuse a start past either limit: RESPONSE_START_LIMIT per full fingerprint (network,
    browser and language) or RESPONSE_START_NETWORK_LIMIT per network alone.

    The full fingerprint alone would let a script that changes its user agent on every
    request start without limit; the network-only count closes that, with a higher limit
    because a Tor exit or a carrier NAT puts many real respondents behind one prefix. Both
    keys are wave-keyed HMACs (respondents/fingerprints.py), never an address.
    """
    # Without a hash (key destroyed, or an unparsable address) there is nothing to count by.
    limits: list[tuple[str, int]] = []
    if fingerprint:
        limits.append(
            (f"respondents:starts:{wave.pk}:{fingerprint}", settings.RESPONSE_START_LIMIT)
        )
    if network:
        limits.append(
            (f"respondents:net-starts:{wave.pk}:{network}", settings.RESPONSE_START_NETWORK_LIMIT)
        )
    try:
        # Every counter counts this start, so a refusal by one still uses up the other.
        counted = count_starts(
            [key for key, _limit in limits], settings.RESPONSE_START_WINDOW_SECONDS
        )
    except (RedisError, OSError):
        # Fail open: with the cache (Redis) down, a respondent must still be able to answer;
        # the duplicate rules in cleaning still catch repeated starts from one device.
        logger.warning("start rate limit skipped: the cache is unreachable")
        return
    if any(count > limit for count, (_key, limit) in zip(counted, limits, strict=True)):
        raise StartRefusedError("rate_limited")


def _new_response(
    wave: Wave,
    *,
    invitation: Invitation | None,
    channel: str,
    language: str,
    fingerprint: str,
    honeypot_filled: bool,
    now: datetime,
    resume_token_hash: str | None = None,
) -> Response:
    schema = load_form(wave.version)
    response = Response(
        wave=wave,
        resume_token_hash=resume_token_hash,
        invitation=invitation,
        member=invitation.member if invitation is not None else None,
        channel=channel,
        language=language,
        fingerprint=fingerprint,
        honeypot_filled=honeypot_filled,
        started_at=now,
        paradata={"pages": {}, "metadata": {}, "nav": {"step": 0, "entered_at": None}},
    )
    _record_metadata(response, schema, "start", now)
    _record_metadata(response, schema, "today", now)
    response.answers = with_calculations(schema, {}, language=language or schema.source_language)
    first = relevant_pages(schema, response.answers)
    if first:
        _enter_page(response, first[0].name, now)
    else:
        _complete(response, schema, now)
    response.save()
    return response


@dataclass(frozen=True)
class _Start:
    """What every new response is started with."""

    channel: str
    language: str
    fingerprint: str
    honeypot_filled: bool
    now: datetime


@transaction.atomic
def start_response(
    wave: Wave,
    *,
    invitation: Invitation | None = None,
    channel: str = "",
    language: str = "",
    fingerprint: str = "",
    network_fingerprint: str = "",
    resume_offer: str = "",
    honeypot_filled: bool = False,
    now: datetime | None = None,
) -> StartedResponse:
    """Start (after consent) a response to the wave, through an invitation or the open link.

    Starting twice never forks the answers. An invitation has one response: starting again
    returns it (a double-clicked consent button, a second device). An open-link start
    carries `resume_offer`, the signed resume token its consent form was rendered with
    (tokens.offer_resume_token): the same form posted again, even at the same moment,
    resumes the response the first post started, and counts once against the rate limits.
    """
    moment = now or timezone.now()
    if not is_accepting_responses(wave, now=moment):
        raise StartRefusedError("closed")
    start = _Start(channel, language, fingerprint, honeypot_filled, moment)
    if invitation is None:
        return _start_open(wave, start, resume_offer, network_fingerprint)
    # The row lock serialises two consent clicks of one person.
    locked = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("member")
        .get(pk=invitation.pk)
    )
    existing = Response.objects.filter(invitation=locked).first()
    if existing is not None:
        return StartedResponse(response=existing, resume_token="")
    try:
        with transaction.atomic():
            response = _create(wave, start, invitation=locked)
    except IntegrityError:
        # Another process created it between our check and insert (no lock on SQLite).
        return StartedResponse(response=Response.objects.get(invitation=locked), resume_token="")
    Invitation.objects.filter(pk=locked.pk, started_at__isnull=True).update(started_at=moment)
    return StartedResponse(response=response, resume_token="")


def _create(
    wave: Wave, start: _Start, *, invitation: Invitation | None = None, resume_token: str = ""
) -> Response:
    return _new_response(
        wave,
        invitation=invitation,
        channel=start.channel,
        language=start.language,
        fingerprint=start.fingerprint,
        honeypot_filled=start.honeypot_filled,
        now=start.now,
        resume_token_hash=hash_token(resume_token) if resume_token else None,
    )


def _offered_response(wave: Wave, raw_token: str) -> Response | None:
    response = resolve_resume_token(raw_token) if raw_token else None
    return response if response is not None and response.wave_id == wave.pk else None


def _start_open(wave: Wave, start: _Start, resume_offer: str, network: str) -> StartedResponse:
    offered = accept_resume_offer(wave, resume_offer)
    # The consent form was posted before: resume what that post started.
    earlier = _offered_response(wave, offered)
    if earlier is not None:
        return StartedResponse(response=earlier, resume_token=offered)
    _check_start_rate(wave, start.fingerprint, network)
    raw_token = offered or new_resume_token()
    try:
        with transaction.atomic():
            response = _create(wave, start, resume_token=raw_token)
    except IntegrityError:
        # The same form posted twice at once: the unique resume_token_hash let one insert
        # through, and this request resumes it.
        twin = _offered_response(wave, raw_token)
        if twin is not None:
            return StartedResponse(response=twin, resume_token=raw_token)
        # The offered token opens a response closed to its holder (its member withdrew):
        # start afresh under a new token.
        raw_token = new_resume_token()
        response = _create(wave, start, resume_token=raw_token)
    return StartedResponse(response=response, resume_token=raw_token)


def record_invitation_opened(invitation: Invitation, *, now: datetime | None = None) -> None:
    """Stamp the first time a personal link was opened; later openings change nothing."""
    Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
        opened_at=now or timezone.now()
    )


def _complete(response: Response, schema: FormSchema, now: datetime) -> None:
    response.status = ResponseStatus.COMPLETED
    response.completed_at = now
    _record_metadata(response, schema, "end", now)
    _enter_page(response, END_PAGE, now)
    if response.invitation_id is not None:
        Invitation.objects.filter(pk=response.invitation_id).update(completed_at=now)
    # Scrub-once: the free-text answers are scrubbed and stored in the background.
    enqueue_on_commit(freetext_tasks.scrub_responses_task, [response.pk])


def _neighbour(
    schema: FormSchema, answers: Mapping[str, object], page: str, step: int
) -> str | None:
    """The next (step=1) or previous (step=-1) page that is relevant, or None."""
    names = [p.name for p in schema.pages]
    index = names.index(page) + step
    while 0 <= index < len(names):
        if page_is_asked(schema.pages[index], answers):
            return names[index]
        index += step
    return None


def _apply(
    response: Response,
    schema: FormSchema,
    page: str,
    values: Mapping[str, AnswerValue | None],
    visible: Sequence[str],
) -> None:
    answers = dict(response.answers)
    for name, value in values.items():
        if value is None:
            answers.pop(name, None)
        else:
            answers[name] = value
    form_page = schema.page(page)
    assert form_page is not None  # noqa: S101 (the caller checked the page exists)
    for question in form_page.questions:
        if question.name not in visible:
            answers.pop(question.name, None)
            answers.pop(question.other_name, None)
    language = response.language or schema.source_language
    response.answers = with_calculations(schema, prune_hidden(schema, answers), language=language)


class PagePost(TypedDict, total=False):
    """What a page POST carries besides its page and step (see submit_page)."""

    action: Action
    shown: Sequence[str] | None
    honeypot_filled: bool
    privacy: str
    roster: str
    now: datetime | None


@transaction.atomic
def submit_page(
    response_id: int,
    *,
    page: str,
    step: int,
    data: Mapping[str, Sequence[str]],
    **post: Unpack[PagePost],
) -> PageResult:
    """Apply one posted page: "next" validates and moves on (or completes), "back" keeps
    the valid answers and returns to the previous relevant page. `shown` names the items
    the form displayed (None: all that are relevant now). A free-text answer that looks like
    it holds a name, an address or a contact stops the page (outcome "privacy", nothing
    saved) until `privacy` says "remove" (the findings are cut out) or "keep". On a roster
    page, `roster` adds or removes an instance ("add", "remove:<n>", with action "stay")."""
    # of=self: PostgreSQL would otherwise lock the joined wave and version rows too, and
    # every respondent of the wave (and a cleaning run writing its flags) would queue on
    # that one wave row.
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("wave__version")
        .get(pk=response_id)
    )
    return _apply_page(response, page=page, step=step, data=data, **post)


@transaction.atomic
def submit_page_by_token(
    raw_token: str,
    *,
    page: str,
    step: int,
    data: Mapping[str, Sequence[str]],
    **post: Unpack[PagePost],
) -> tuple[Response, PageResult] | None:
    """submit_page for the response a resume token opens (None: no such response), found
    and locked in one query: a respondent's page POST reads its response once."""
    response = resolve_resume_token(raw_token, lock=True)
    if response is None:
        return None
    return response, _apply_page(response, page=page, step=step, data=data, **post)


def _apply_page(
    response: Response,
    *,
    page: str,
    step: int,
    data: Mapping[str, Sequence[str]],
    action: Action = "next",
    shown: Sequence[str] | None = None,
    honeypot_filled: bool = False,
    privacy: str = "",
    roster: str = "",
    now: datetime | None = None,
) -> PageResult:
    # The caller holds the response row locked in the current transaction.
    moment = now or timezone.now()
    if not is_accepting_responses(response.wave, now=moment):
        return PageResult(outcome="closed")
    # A retried or duplicate POST, or a form from an old tab: applied already, or never
    # meant for the page the respondent is on.
    if (
        response.status != ResponseStatus.IN_PROGRESS
        or response.current_page != page
        or current_step(response) != step
    ):
        return PageResult(outcome="stale")
    schema = load_form(response.wave.version)
    language = response.language or schema.source_language
    data, warned = _privacy_check(response, schema, page, data, privacy)
    if warned:
        response.save(update_fields=["paradata", "updated_at"])
        return PageResult(outcome="privacy", privacy=warned)
    # The messages of answers.py are gettext strings made right here: they must speak the
    # respondent's chosen language, not whatever the request (Accept-Language) activated.
    with translation.override(language):
        check = check_any_page(
            schema,
            schema.page(page) or schema.pages[0],
            data,
            response.answers,
            language=language,
            enforce_required=action == "next",
            edit=roster,
        )
    displayed = set(check.visible if shown is None else shown)
    # An item the form did not show yet cannot be wrong: it is asked on this page next.
    check.errors = {name: error for name, error in check.errors.items() if name in displayed}
    fields = ["answers", "paradata", "current_page", "status", "completed_at", "updated_at"]
    if honeypot_filled and not response.honeypot_filled:
        response.honeypot_filled = True
        fields.append("honeypot_filled")
    outcome = _move(response, schema, page, check, displayed, action, moment)
    if outcome != "invalid" or "honeypot_filled" in fields:
        save_columns(response, fields)
    return PageResult(outcome=outcome, errors=check.errors if outcome == "invalid" else {})


def _privacy_check(
    response: Response,
    schema: FormSchema,
    page: str,
    data: Mapping[str, Sequence[str]],
    privacy: str,
) -> tuple[Mapping[str, Sequence[str]], dict[str, list[str]]]:
    """The data to apply, and what to warn about (empty once the respondent chose)."""
    form_page = schema.page(page) or schema.pages[0]
    free_keys = schema.free_text_keys
    if form_page.repeat is not None:
        keys = free_text_fields(form_page, free_keys, data)
    else:
        keys = warnings.page_keys(form_page, free_keys)
    found = warnings.findings(data, keys) if keys else {}
    if not found:
        return data, {}
    if privacy == "remove":
        warnings.count(response.paradata, "removed", len(found))
        return warnings.cleaned(data, found), {}
    if privacy == "keep":
        warnings.count(response.paradata, "kept", len(found))
        return data, {}
    warnings.count(response.paradata, "shown", len(found))
    return data, found


def _move(
    response: Response,
    schema: FormSchema,
    page: str,
    check: PageCheck,
    displayed: set[str],
    action: Action,
    now: datetime,
) -> Outcome:
    values, visible, errors = check.values, check.visible, check.errors
    if action == "stay":
        _apply(
            response, schema, page, {k: v for k, v in values.items() if k not in errors}, visible
        )
        return "stayed"
    if action == "back":
        # Going back never loses what was typed correctly on this page.
        _apply(
            response, schema, page, {k: v for k, v in values.items() if k not in errors}, visible
        )
        previous = _neighbour(schema, response.answers, page, -1)
        if previous is None:
            return "back"
        _leave_page(response, page, now)
        _enter_page(response, previous, now)
        return "back"
    if errors:
        return "invalid"
    _apply(response, schema, page, values, visible)
    # Items that appeared because of answers on this same page (no script to show them
    # live): ask them on the same page before moving on.
    if any(name not in displayed and values.get(name) is None for name in visible):
        return "expanded"
    _leave_page(response, page, now)
    following = _neighbour(schema, response.answers, page, 1)
    if following is None:
        _complete(response, schema, now)
        return "completed"
    _enter_page(response, following, now)
    return "advanced"


def record_page_view(response: Response, *, now: datetime | None = None) -> None:
    """On showing the current page: after a long absence, restart its clock as a revisit.

    `response` as the view loaded it. Nearly every view comes within the gap, so that copy
    is read first and the row is locked (and read again) only when there is a revisit to
    write: a locked transaction on every page view was a tenth of a page's cost.
    """
    moment = now or timezone.now()
    if not _is_long_absence(response, moment):
        return
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        # Another request may have recorded this revisit since the view loaded its copy.
        if not _is_long_absence(locked, moment):
            return
        entry = locked.paradata["pages"].setdefault(
            locked.current_page, {"seconds": 0.0, "visits": 0}
        )
        entry["visits"] += 1
        locked.paradata["nav"]["entered_at"] = moment.timestamp()
        locked.save(update_fields=["paradata", "updated_at"])


def _is_long_absence(response: Response, moment: datetime) -> bool:
    entered_at = response.paradata.get("nav", {}).get("entered_at")
    if response.status != ResponseStatus.IN_PROGRESS or entered_at is None:
        return False
    return bool(moment.timestamp() - entered_at >= RESUME_GAP_SECONDS)


def choose_language(response: Response, language: str) -> None:
    """Record the language the respondent switched to (it labels their answers)."""
    if language and language != response.language:
        response.language = language
        response.save(update_fields=["language", "updated_at"])


def progress(schema: FormSchema, answers: Mapping[str, object], page: str) -> tuple[int, int]:
    """(position, total) of the page among the pages relevant so far, both from 1."""
    names = [p.name for p in relevant_pages(schema, answers)]
    if page not in names:
        return len(names), len(names)
    return names.index(page) + 1, len(names)
