"""Waves in the staff workspace: the list, opening one, its links and fieldwork actions.

Thin: each view asks surveys.workspace.access for the study and the right it needs, then
calls one service of respondents.services (waves, invitations, wave_overview, figures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from respondents.models import Wave, WaveState
from respondents.services.figures import wave_figures
from respondents.services.invitations import invite_panel, send_reminders
from respondents.services.wave_overview import study_waves, wave_links
from respondents.services.waves import change_wave_state, create_wave, open_wave
from respondents.workspace.forms import OpenWaveForm
from surveys.access import Action, actions_of
from surveys.models import Study
from surveys.workspace.access import study_for, study_page


def _wave(study: Study, wave_id: int) -> Wave:
    # A wave of another study answers 404, as a study the user cannot see does.
    return get_object_or_404(
        Wave.objects.select_related("version__questionnaire"), pk=wave_id, study=study
    )


def _rights(request: HttpRequest, study: Study) -> dict[str, bool]:
    allowed = actions_of(request.user, study)
    return {action.value: action in allowed for action in Action}


@study_page(Action.VIEW_FIGURES)
def wave_list(request: HttpRequest, study: Study) -> HttpResponse:
    context = {"study": study, "waves": study_waves(study), "can": _rights(request, study)}
    return render(request, "workspace/respondents/wave_list.html", context)


@study_page(Action.RUN_WAVES)
def wave_new(request: HttpRequest, study: Study) -> HttpResponse:
    form = OpenWaveForm(request.POST or None, study=study)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        make = open_wave if data["open_now"] else create_wave
        try:
            wave = make(
                study,
                data["version"],
                data["name"],
                channels=data["channels"],
                closes_at=data["closes_at"],
            )
        except ValidationError as exc:
            # Shown above the form: a refusal may concern the wave's state, no field here.
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _(WAVE_MADE[wave.state]) % {"name": wave.name})
            return redirect("fieldwork:wave", study=study.slug, wave_id=wave.pk)
    status = 400 if form.errors else 200
    context = {"study": study, "form": form}
    return render(request, "workspace/respondents/wave_new.html", context, status=status)


@study_page(Action.VIEW_FIGURES)
def wave_detail(request: HttpRequest, study: Study, wave_id: int) -> HttpResponse:
    wave = _wave(study, wave_id)
    can = _rights(request, study)
    context = {
        "study": study,
        "wave": wave,
        "figures": wave_figures(wave),
        "links": wave_links(wave),
        "can": can,
        "transitions": [
            step for step in STEPS.values() if wave.state in step.from_states and can[step.right]
        ],
    }
    return render(request, "workspace/respondents/wave_detail.html", context)


@dataclass(frozen=True)
class Step:
    """A button on the wave page: the right it needs, the states it is offered in, the
    service it calls (returning the message to show)."""

    name: str
    label: str
    right: Action
    from_states: frozenset[str]
    run: Callable[[Wave], str]


def _state_message(target: str, text: str) -> Callable[[Wave], str]:
    def run(wave: Wave) -> str:
        changed = change_wave_state(wave, target)
        return _(text) % {"name": changed.name}

    return run


def _invite(wave: Wave) -> str:
    done = invite_panel(wave)
    return _(INVITED) % {
        "created": done.created,
        "emails": done.emails_queued,
        "telegram": done.telegram_pending,
        "without": done.without_contact,
        "duplicates": done.possible_duplicates,
    }


def _remind(wave: Wave) -> str:
    return _("%(count)d reminders queued.") % {"count": send_reminders(wave=wave)}


WAVE_MADE: dict[str, str] = {
    WaveState.OPEN: gettext_noop("Wave %(name)s is open: share its links."),
    WaveState.DRAFT: gettext_noop("Wave %(name)s is saved as a draft; open it when you are ready."),
}
INVITED = gettext_noop(
    "%(created)d panel members invited: %(emails)d e-mails queued, %(telegram)d to reach "
    "by Telegram (their links: the telegram_links command), %(without)d without a contact, "
    "%(duplicates)d left out as possible duplicates."
)
_OPEN, _CLOSED, _DRAFT = WaveState.OPEN, WaveState.CLOSED, WaveState.DRAFT
STEPS = {
    step.name: step
    for step in (
        Step(
            "open",
            gettext_noop("Open the wave"),
            Action.RUN_WAVES,
            frozenset({_DRAFT}),
            _state_message(_OPEN, gettext_noop("Wave %(name)s is open: share its links.")),
        ),
        Step(
            "invite", gettext_noop("Invite the panel"), Action.INVITE, frozenset({_OPEN}), _invite
        ),
        Step(
            "remind", gettext_noop("Send due reminders"), Action.INVITE, frozenset({_OPEN}), _remind
        ),
        Step(
            "close",
            gettext_noop("Close the wave"),
            Action.RUN_WAVES,
            frozenset({_OPEN}),
            _state_message(
                _CLOSED,
                gettext_noop(
                    "Wave %(name)s is closed; answers still in progress count as partials."
                ),
            ),
        ),
        Step(
            "reopen",
            gettext_noop("Reopen the wave"),
            Action.RUN_WAVES,
            frozenset({_CLOSED}),
            _state_message(_OPEN, gettext_noop("Wave %(name)s is open again.")),
        ),
    )
}


@require_POST
@study_page(Action.VIEW_FIGURES)
def wave_step(request: HttpRequest, study: Study, wave_id: int, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    # Each step needs its own right, which the decorator could not know.
    study = study_for(request, study.slug, STEPS[step].right)
    wave = _wave(study, wave_id)
    try:
        messages.success(request, STEPS[step].run(wave))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("fieldwork:wave", study=study.slug, wave_id=wave.pk)
