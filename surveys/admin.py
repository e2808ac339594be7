"""Admin for studies, questionnaires, versions and the item bank.

A published version is read-only here: no change, no delete, and its pages, questions and
choices are shown without edit links (the model guards refuse any write anyway).
Publishing and forking are admin actions that call the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from surveys.models import (
    FrozenVersionError,
    ItemBankConcept,
    Page,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Study,
)
from surveys.services.questionnaires import fork_version, publish_version


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["slug", "title", "default_language", "created_at"]
    search_fields = ["slug", "title"]


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "study", "title", "created_at"]
    list_filter = ["study"]
    search_fields = ["name", "title"]


class _ReadOnlyWhenFrozen:
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_add_permission(request, obj)  # type: ignore[misc]


def _frozen(obj: Any) -> bool:
    return isinstance(obj, QuestionnaireVersion) and obj.is_frozen


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
class QuestionnaireVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "questionnaire", "number", "status", "published_at"]
    list_filter = ["status", "questionnaire__study"]
    readonly_fields = ["status", "content_hash", "published_at", "forked_from", "created_at"]
    inlines = [PageInline, QuestionInline]
    actions = ["publish", "fork"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)

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


@admin.register(ItemBankConcept)
class ItemBankConceptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["key", "label", "domain", "wvs7_item", "ess_variable", "equivalence"]
    list_filter = ["domain", "equivalence"]
    search_fields = ["key", "label", "wvs7_item", "ess_variable"]
    readonly_fields = ["loaded_at"]
