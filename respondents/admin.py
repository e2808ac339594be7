"""Fieldwork admin: waves (with their figures), panel members, invitations, responses.

Privacy (docs/design.md): no list shows a contact, token, fingerprint or answer; contacts have
no admin at all; members and responses are removed only through erase_member, never by a
bare delete. Every action calls a service, as the commands and the API do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from respondents.admin_actions import WaveCleaningActionsMixin, WaveExportActionsMixin

# The cleaning admin lives with the rest of cleaning; importing it registers its classes.
from respondents.cleaning import admin as cleaning_admin  # noqa: F401
from respondents.models import (
    Invitation,
    PanelMember,
    Response,
    Wave,
    WaveState,
)
from respondents.services.erasure import erase_member
from respondents.services.figures import CountRow, wave_figures
from respondents.services.invitations import invite_panel, send_reminders, withdraw_member
from respondents.services.wave_overview import wave_count_annotations
from respondents.services.waves import change_wave_state, open_link
from surveys.access import Action, can, studies_where
from surveys.admin_access import StudyScopedAdminMixin

WAVE_FIELDS = (
    "study",
    "version",
    "name",
    "state",
    "link",
    "opens_at",
    "closes_at",
    "channels",
    "fingerprint_key_destroyed_at",
    "created_at",
    "fieldwork",
)
# No contact and no panel-key hash: the pseudonym is all the admin needs to act on.
MEMBER_FIELDS = (
    "pseudonym",
    "study",
    "status",
    "recruited_in",
    "preferred_language",
    "created_at",
    "withdrawn_at",
)
# Timestamps only: the token hash is never shown.
INVITATION_FIELDS = (
    "wave",
    "member",
    "created_at",
    "sent_at",
    "opened_at",
    "started_at",
    "completed_at",
    "reminders_sent",
    "last_reminded_at",
)
# Neither the fingerprint nor the resume-token hash; answers only on the detail page.
RESPONSE_FIELDS = (
    "wave",
    "member",
    "invitation",
    "status",
    "channel",
    "language",
    "source_id",
    "started_at",
    "completed_at",
    "current_page",
    "honeypot_filled",
    "answers",
    "paradata",
)
# What only VIEW_RESPONSES may read (owners and fieldwork managers, under two-factor
# authentication): the unscrubbed answers, and what ties them to a person.
RAW_RESPONSE_FIELDS = frozenset({"answers", "member", "invitation", "source_id"})


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _table(title: str, rows: tuple[CountRow, ...]) -> SafeString:
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((row.key or "(none)", row.completes, row.partials) for row in rows),
    )
    return format_html(
        "<h4>{}</h4><table><tr><th></th><th>completes</th><th>partials</th></tr>{}</table>",
        title,
        body,
    )


class NoAddOrDeleteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Wave)
class WaveAdmin(
    StudyScopedAdminMixin, WaveCleaningActionsMixin, WaveExportActionsMixin, NoAddOrDeleteAdmin
):
    list_display = ["name", "study", "state", "opens_at", "closes_at", "completes", "partials"]
    list_display += ["invited"]
    list_filter = ["state", "study"]
    list_select_related = ["study"]
    fields = WAVE_FIELDS
    readonly_fields = WAVE_FIELDS
    actions = ["invite_panel_action", "send_reminders_action", "close_action", "reopen_action"]
    actions += ["clean_action", "export_action"]
    # Roles (surveys.access): every role sees its studies' waves and figures; who may take
    # each action, on which studies.
    edit_right = Action.RUN_WAVES
    action_rights = {
        "invite_panel_action": Action.INVITE,
        "send_reminders_action": Action.INVITE,
        "close_action": Action.RUN_WAVES,
        "reopen_action": Action.RUN_WAVES,
        "clean_action": Action.CLEAN,
        "export_action": Action.EXPORT,
    }

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wave]:
        waves: QuerySet[Wave] = super().get_queryset(request)
        return waves.annotate(**wave_count_annotations())

    # A wave is made only by create_wave / open_wave (an unguessable slug, a published
    # version of the same study, a fingerprint key when it opens), never by a model form
    # that would skip them; so "Add wave" leads to the workspace's form, which calls them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        allowed = admin.ModelAdmin.has_add_permission(self, request)
        return allowed and studies_where(request.user, Action.RUN_WAVES).exists()

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_add_permission(request):
            return super().add_view(request, *args, **kwargs)  # Django's 403
        studies = list(studies_where(request.user, Action.RUN_WAVES).order_by("slug"))
        links = [
            (study, reverse("fieldwork:wave-new", kwargs={"study": study.slug}))
            for study in studies
        ]
        if len(links) == 1:
            return HttpResponseRedirect(links[0][1])
        context = {**self.admin_site.each_context(request), "links": links, "opts": self.opts}
        context["title"] = "Open a wave: choose the study"
        return TemplateResponse(request, "admin/respondents/wave/choose_study.html", context)

    @admin.display(description="completes", ordering="completes_count")
    def completes(self, wave: Any) -> int:
        return int(wave.completes_count)

    @admin.display(description="partials", ordering="partials_count")
    def partials(self, wave: Any) -> int:
        return int(wave.partials_count)

    @admin.display(description="invited", ordering="invited_count")
    def invited(self, wave: Any) -> int:
        return int(wave.invited_count)

    @admin.display(description="open link")
    def link(self, wave: Wave) -> str:
        return open_link(wave)

    @admin.display(description="fieldwork figures")
    def fieldwork(self, wave: Wave) -> SafeString:
        figures = wave_figures(wave)
        return format_html(
            "<p>{} completes, {} partials; {} invited, panel response rate {}; retention from "
            "the previous wave {} ({} of {}); median duration of completes {}</p>{}{}{}",
            figures.completes,
            figures.partials,
            figures.invited,
            _percent(figures.panel_response_rate),
            _percent(figures.retention),
            figures.retained,
            figures.previous_completers,
            "-"
            if figures.median_duration_seconds is None
            else f"{figures.median_duration_seconds / 60:.1f} min",
            _table("by day", figures.by_day),
            _table("by channel", figures.by_channel),
            _table("by language", figures.by_language),
        )

    def _each(self, request: HttpRequest, waves: QuerySet[Wave], verb: str, call: Any) -> None:
        for wave in waves:
            try:
                result = call(wave)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                continue
            self.message_user(request, f"{wave.name}: {verb} {result}", messages.SUCCESS)

    @admin.action(description="Invite the panel (e-mail; Telegram links by command)")
    def invite_panel_action(self, request: HttpRequest, queryset: QuerySet[Wave]) -> None:
        self._each(
            request,
            queryset,
            "invited",
            lambda wave: (
                f"{invite_panel(wave).created} members (e-mails are sent in the background)"
            ),
        )

    @admin.action(description="Send due reminders")
    def send_reminders_action(self, request: HttpRequest, queryset: QuerySet[Wave]) -> None:
        self._each(
            request, queryset, "queued", lambda wave: f"{send_reminders(wave=wave)} reminders"
        )

    @admin.action(description="Close the wave")
    def close_action(self, request: HttpRequest, queryset: QuerySet[Wave]) -> None:
        self._each(
            request,
            queryset,
            "is now",
            lambda wave: change_wave_state(wave, WaveState.CLOSED).state,
        )

    @admin.action(description="Reopen the wave")
    def reopen_action(self, request: HttpRequest, queryset: QuerySet[Wave]) -> None:
        self._each(
            request, queryset, "is now", lambda wave: change_wave_state(wave, WaveState.OPEN).state
        )


@admin.register(PanelMember)
class PanelMemberAdmin(StudyScopedAdminMixin, NoAddOrDeleteAdmin):
    list_display = ["pseudonym", "study", "status", "recruited_in", "created_at", "withdrawn_at"]
    list_filter = ["status", "study"]
    list_select_related = ["study", "recruited_in"]
    search_fields = ["=pseudonym"]
    fields = MEMBER_FIELDS
    readonly_fields = MEMBER_FIELDS
    actions = ["withdraw_action", "erase_contact_action"]
    # Owners and fieldwork managers; viewers see figures only, researchers anonymised data.
    view_right = Action.VIEW_PANEL
    action_rights = {
        # As the API's withdraw: part of running the fieldwork.
        "withdraw_action": Action.RUN_WAVES,
        "erase_contact_action": Action.SEE_CONTACTS,
    }

    @admin.action(description="Withdraw from the panel (no more invitations)")
    def withdraw_action(self, request: HttpRequest, queryset: QuerySet[PanelMember]) -> None:
        for member in queryset:
            withdraw_member(member)
        self.message_user(request, f"{queryset.count()} members withdrawn", messages.SUCCESS)

    @admin.action(description="Erase contact details (answers stay, under the pseudonym)")
    def erase_contact_action(self, request: HttpRequest, queryset: QuerySet[PanelMember]) -> None:
        erased = [erase_member(member) for member in queryset]
        self.message_user(
            request,
            f"contact details erased for {sum(e.contact_erased for e in erased)} members",
            messages.SUCCESS,
        )


@admin.register(Invitation)
class InvitationAdmin(StudyScopedAdminMixin, NoAddOrDeleteAdmin):
    list_display = ["id", "wave", "member", "sent_at", "opened_at", "started_at", "completed_at"]
    list_display += ["reminders_sent"]
    list_filter = ["wave"]
    list_select_related = ["wave", "member"]
    fields = INVITATION_FIELDS
    readonly_fields = INVITATION_FIELDS
    study_path = "wave__study"
    view_right = Action.INVITE


@admin.register(Response)
class ResponseAdmin(StudyScopedAdminMixin, NoAddOrDeleteAdmin):
    list_display = ["id", "wave", "member", "status", "channel", "language", "started_at"]
    list_display += ["completed_at", "source_id"]
    list_filter = ["status", "wave", "channel", "language"]
    list_select_related = ["wave", "member"]
    search_fields = ["=source_id"]
    fields = RESPONSE_FIELDS
    readonly_fields = RESPONSE_FIELDS
    study_path = "wave__study"
    # The roles that review response quality see status, channel, timing and paradata;
    # the raw answers and who gave them only with VIEW_RESPONSES on the response's study.
    view_right = Action.VIEW_CLEANING

    def _sees_raw(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            # The list: the member column only when every visible study allows it.
            visible = studies_where(request.user, self.view_right)
            allowed = studies_where(request.user, Action.VIEW_RESPONSES)
            return not visible.exclude(pk__in=allowed).exists()
        return can(request.user, Action.VIEW_RESPONSES, obj.wave.study_id)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if self._sees_raw(request, obj):
            return RESPONSE_FIELDS
        return tuple(name for name in RESPONSE_FIELDS if name not in RAW_RESPONSE_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(self.get_fields(request, obj))

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        shown: list[Any] = list(super().get_list_display(request))
        if self._sees_raw(request, None):
            return shown
        return [name for name in shown if name not in RAW_RESPONSE_FIELDS]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
