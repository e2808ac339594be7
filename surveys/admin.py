"""Admin for studies, questionnaires, versions and the item bank.

A published version is read-only here: no change, no delete, and its pages, questions and
choices are shown without edit links (the model guards refuse any write anyway).
Publishing and forking are admin actions that call the services.

Roles (surveys.access, through surveys.admin_access): each user sees the studies they hold
a role on; questionnaires and versions need a role that reads them, and changing them one
that edits them; a study's settings are changed by its owners; who has access is managed
by its owners, through the same grant_role / revoke_role as the `grant_role` command.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from surveys.access import (
    ERROR_UNKNOWN_USER,
    AccessError,
    Action,
    can,
    check_role_change,
    grant_role,
    revoke_role,
)
from surveys.admin_access import StudyScopedAdminMixin
from surveys.itembank_access import may_edit_item_bank
from surveys.models import (
    Choice,
    ChoiceList,
    FrozenVersionError,
    ItemBankConcept,
    Page,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Study,
    StudyMembership,
)
from surveys.services.questionnaires import fork_version, publish_version


@admin.register(Study)
class StudyAdmin(StudyScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["slug", "title", "default_language", "created_at"]
    search_fields = ["slug", "title"]
    study_path = "pk"
    edit_right = Action.EDIT_STUDY

    # Creating and deleting a study is the operator's (superusers): a new study has no
    # owner to see it yet, and deleting one would take its panel and data with it.
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)


ERROR_NOT_GRANTED = "{study}: {problem}"


class GrantRoleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A role for a user named by username: the form never lists the site's users."""

    username = forms.CharField(max_length=150, help_text="The user's username, as they sign in.")

    class Meta:
        model = StudyMembership
        fields = ["study", "username", "role"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        username = data.get("username", "")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            self.add_error("username", ERROR_UNKNOWN_USER.format(username=username))
        elif data.get("study") is not None and data.get("role"):
            _check_change(data["study"], user, data["role"])
        data["user"] = user
        return data


class ChangeRoleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = StudyMembership
        fields = ["role"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("role"):
            _check_change(self.instance.study, self.instance.user, data["role"])
        data["user"] = self.instance.user
        return data


def _check_change(study: Study, user: Any, role: str) -> None:
    try:
        check_role_change(study, user, role)
    except AccessError as exc:
        raise forms.ValidationError(str(exc)) from exc


@admin.register(StudyMembership)
class StudyMembershipAdmin(StudyScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Who has which role on the studies the user owns; every change goes through
    grant_role / revoke_role, so the last owner can be neither demoted nor removed."""

    list_display = ["user", "study", "role", "created_at"]
    list_filter = ["study", "role"]
    list_select_related = ["study", "user"]
    search_fields = ["user__username"]
    actions = ["revoke_action"]
    view_right = Action.MANAGE_ACCESS
    edit_right = Action.MANAGE_ACCESS
    action_rights = {"revoke_action": Action.MANAGE_ACCESS}

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = ChangeRoleForm if obj is not None else GrantRoleForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["study", "user", "role"] if obj is not None else ["study", "username", "role"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["study", "user"] if obj is not None else []

    # Revoking is the action below, through revoke_role; no bare delete.
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        user = form.cleaned_data["user"]
        grant_role(study_slug=obj.study.slug, username=user.get_username(), role=obj.role)
        saved = StudyMembership.objects.get(study=obj.study, user=user)
        obj.pk, obj.user, obj.created_at = saved.pk, user, saved.created_at

    @admin.action(description="Revoke access to the study")
    def revoke_action(self, request: HttpRequest, queryset: QuerySet[StudyMembership]) -> None:
        for membership in queryset.select_related("study", "user"):
            try:
                revoke_role(
                    study_slug=membership.study.slug, username=membership.user.get_username()
                )
            except AccessError as exc:
                self.message_user(
                    request,
                    ERROR_NOT_GRANTED.format(study=membership.study.slug, problem=exc),
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                f"{membership.user.get_username()} no longer has access to {membership.study.slug}",
                messages.SUCCESS,
            )


@admin.register(Questionnaire)
class QuestionnaireAdmin(StudyScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "study", "title", "created_at"]
    list_filter = ["study"]
    search_fields = ["name", "title"]
    view_right = Action.VIEW_QUESTIONNAIRES
    edit_right = Action.EDIT_QUESTIONNAIRES


class _ReadOnlyWhenFrozen:
    """Inlines of a version: read-only once it is frozen, or for a role that only reads."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj) and super().has_add_permission(request, obj)  # type: ignore[misc]


ERROR_FROZEN = (
    "Version {version} is published and frozen: it cannot be changed or deleted. "
    "Fork a new draft from it (the Fork action) to make changes."
)


def _frozen(obj: Any) -> bool:
    if isinstance(obj, ChoiceList):
        return obj.version.is_frozen
    return isinstance(obj, QuestionnaireVersion) and obj.is_frozen


def _editable(request: HttpRequest, obj: Any) -> bool:
    if _frozen(obj):
        return False
    if isinstance(obj, QuestionnaireVersion):
        return can(request.user, Action.EDIT_QUESTIONNAIRES, obj.questionnaire.study_id)
    if isinstance(obj, ChoiceList):
        return can(request.user, Action.EDIT_QUESTIONNAIRES, obj.version.questionnaire.study_id)
    return True


class PageInline(_ReadOnlyWhenFrozen, admin.TabularInline):  # type: ignore[type-arg]
    model = Page
    extra = 0
    fields = ["position", "name", "relevant", "appearance"]


class QuestionInline(_ReadOnlyWhenFrozen, admin.TabularInline):  # type: ignore[type-arg]
    model = Question
    extra = 0
    fields = ["position", "name", "type", "page", "privacy", "harmonise", "relevant"]
    raw_id_fields = ["page", "choice_list"]


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(StudyScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "questionnaire", "number", "status", "published_at", "preview"]
    list_filter = ["status", "questionnaire__study"]
    readonly_fields = ["status", "content_hash", "published_at", "forked_from", "created_at"]
    readonly_fields += ["preview"]
    inlines = [PageInline, QuestionInline]
    actions = ["publish", "fork"]
    study_path = "questionnaire__study"
    view_right = Action.VIEW_QUESTIONNAIRES
    edit_right = Action.EDIT_QUESTIONNAIRES
    action_rights = {"publish": Action.EDIT_QUESTIONNAIRES, "fork": Action.EDIT_QUESTIONNAIRES}

    @admin.display(description="preview")
    def preview(self, version: QuestionnaireVersion) -> str:
        if not version.pk:  # the add form's unsaved version
            return "-"
        url = reverse("dashboard:preview", args=[version.pk])
        return format_html('<a href="{}">as a respondent sees it</a>', url)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        version = self.get_object(request, object_id) if object_id else None
        if _frozen(version):
            assert version is not None  # noqa: S101 (narrowed by _frozen)
            # Said in words, where Django would answer a write with a bare 403.
            self.message_user(request, ERROR_FROZEN.format(version=version.pk), messages.WARNING)
            if request.method == "POST":
                return HttpResponseRedirect(request.path)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        version = self.get_object(request, object_id)
        if _frozen(version):
            assert version is not None  # noqa: S101 (narrowed by _frozen)
            self.message_user(request, ERROR_FROZEN.format(version=version.pk), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:surveys_questionnaireversion_change", args=[version.pk])
            )
        response: HttpResponse = super().delete_view(request, object_id, extra_context)
        return response

    @admin.action(description="Publish (freeze) the selected drafts")
    def publish(self, request: HttpRequest, queryset: QuerySet[QuestionnaireVersion]) -> None:
        for version_id in queryset.values_list("pk", flat=True):
            try:
                publish_version(version_id)
            except FrozenVersionError as exc:
                self.message_user(request, str(exc), level=messages.WARNING)

    @admin.action(description="Fork a new draft from each selected version")
    def fork(self, request: HttpRequest, queryset: QuerySet[QuestionnaireVersion]) -> None:
        for version_id in queryset.values_list("pk", flat=True):
            draft = fork_version(version_id)
            self.message_user(request, f"draft version {draft.pk} created")


class ChoiceInline(_ReadOnlyWhenFrozen, admin.TabularInline):  # type: ignore[type-arg]
    model = Choice
    extra = 0
    fields = ["position", "name", "code", "labels"]


@admin.register(ChoiceList)
class ChoiceListAdmin(StudyScopedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Choice lists with their codes and labels; read-only once their version is frozen."""

    list_display = ["name", "version"]
    list_filter = ["version__questionnaire__study"]
    search_fields = ["name"]
    readonly_fields = ["version"]
    inlines = [ChoiceInline]
    study_path = "version__questionnaire__study"
    view_right = Action.VIEW_QUESTIONNAIRES
    edit_right = Action.EDIT_QUESTIONNAIRES

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Lists come with a version (import, fork); one added alone would belong to none.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(ItemBankConcept)
class ItemBankConceptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The item bank is shared by every study: staff read it, and only superusers or holders
    of the project-wide `surveys.edit_item_bank` permission change it. A study role, or
    model permissions handed to study staff, never suffice (surveys.itembank_access)."""

    list_display = ["key", "label", "domain", "wvs7_item", "ess_variable", "equivalence"]
    list_filter = ["domain", "equivalence"]
    search_fields = ["key", "label", "wvs7_item", "ess_variable"]
    readonly_fields = ["loaded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_edit_item_bank(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_item_bank(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_item_bank(request.user)
