"""Shapes of the questionnaire API: what comes in (checked for shape and type only) and what
goes out. Rules that need the database live in surveys/services/."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from surveys.formjson import form_to_dict
from surveys.models import (
    ItemBankConcept,
    Questionnaire,
    QuestionnaireVersion,
    Study,
    VersionStatus,
)
from surveys.services.questionnaires import EXPORT_SUFFIXES, version_to_form
from surveys.services.uploads import MAX_MEDIA_FILES, media_problem, upload_problem


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as a multipart part: typed binary, so the API docs offer a file picker
    (drf-spectacular types a plain FileField as a URI, the shape it has in responses)."""


MAX_CONCEPTS = 500


class StudySerializer(serializers.ModelSerializer[Study]):
    class Meta:
        model = Study
        fields = ["slug", "title", "languages", "default_language", "created_at"]
        read_only_fields = fields


class QuestionnaireSerializer(serializers.ModelSerializer[Questionnaire]):
    study = serializers.CharField(source="study.slug", read_only=True)

    class Meta:
        model = Questionnaire
        fields = ["id", "study", "name", "title", "created_at"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer[QuestionnaireVersion]):
    # A plain string in the schema: an enum here would collide with the other apps'
    # "status" choice sets (drf-spectacular names enums by field name).
    status = serializers.CharField(
        read_only=True, help_text=" or ".join(VersionStatus.values) + " (published: frozen)"
    )
    questionnaire = serializers.CharField(source="questionnaire.name", read_only=True)
    questionnaire_id = serializers.IntegerField(read_only=True)
    study = serializers.CharField(source="questionnaire.study.slug", read_only=True)

    class Meta:
        model = QuestionnaireVersion
        fields = [
            "id",
            "study",
            "questionnaire",
            "questionnaire_id",
            "number",
            "status",
            "source_language",
            "languages",
            "title",
            "content_hash",
            "forked_from",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields


class VersionDetailSerializer(VersionSerializer):
    form = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "form"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_form(self, version: QuestionnaireVersion) -> dict[str, Any]:
        """The version in the native JSON format (surveys/formjson_schema.py)."""
        return form_to_dict(version_to_form(version))


class UploadFormSerializer(serializers.Serializer[Any]):
    file = UploadField(help_text="An XLSForm (.xlsx, .xls, .csv) or native JSON file.")
    name = serializers.SlugField(
        max_length=100,
        required=False,
        help_text="The questionnaire (default: the form_id setting, else the file name).",
    )
    skip_unsupported = serializers.BooleanField(
        default=False, help_text="Skip items a web survey cannot ask, and list them."
    )
    allow_no_labels = serializers.BooleanField(
        default=False,
        help_text="Accept a form whose items have no labels (respondents see item names).",
    )
    media = serializers.ListField(
        child=UploadField(),
        required=False,
        max_length=MAX_MEDIA_FILES,
        help_text="The CSV or XML files that the form's select_one_from_file and "
        "select_multiple_from_file items name (repeat the field for several).",
    )

    def validate_media(self, files: list[UploadedFile]) -> list[UploadedFile]:
        problems = [media_problem(upload.name or "", upload.size or 0) for upload in files]
        if any(problems):
            raise serializers.ValidationError([p for p in problems if p])
        return files

    def validate_file(self, upload: UploadedFile) -> UploadedFile:
        problem = upload_problem(upload.name or "", upload.size or 0)
        if problem is not None:
            raise serializers.ValidationError(problem)
        return upload


class SkippedItemSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    type = serializers.CharField()


class FormProblemSerializer(serializers.Serializer[Any]):
    """One bad row of a refused form (or the whole form, when no row is named)."""

    message = serializers.CharField(help_text="The line shown to the author: file, row, column.")
    sheet = serializers.CharField(
        allow_null=True, help_text="The XLSForm sheet of the row ('survey', 'choices'), if known."
    )
    row = serializers.IntegerField(allow_null=True, help_text="The row on that sheet, if known.")
    column = serializers.CharField(allow_null=True, help_text="The column, if known.")


def form_refusal_serializer() -> serializers.Serializer[Any]:
    """A refused upload (schema only; config/api.py writes the body): the first problem as
    `detail`, every message by field in `errors`, every bad row in `problems`. Inline, since
    a serializer cannot declare a field named `errors`."""
    return inline_serializer(
        name="FormRefusal",
        fields={
            "detail": serializers.CharField(),
            "field": serializers.CharField(allow_null=True),
            "errors": serializers.DictField(required=False, help_text="Every message, by field."),
            "problems": FormProblemSerializer(many=True, required=False),
        },
    )


class FormImportStatusSerializer(serializers.Serializer[Any]):
    """A large form's import, run by a Celery task: queued, done (with the version) or
    failed (with the refusal naming file, row and column)."""

    id = serializers.IntegerField()
    study = serializers.CharField()
    filename = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "done", "failed"])
    version = serializers.IntegerField(allow_null=True)
    items = serializers.IntegerField(allow_null=True)
    languages = serializers.ListField(child=serializers.CharField())
    skipped = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.CharField())
    error = serializers.CharField(allow_blank=True)
    problems = FormProblemSerializer(many=True)


class ImportResultSerializer(serializers.Serializer[Any]):
    version = VersionSerializer()
    items = serializers.IntegerField()
    languages = serializers.ListField(child=serializers.CharField())
    skipped = SkippedItemSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())


class FieldChangeSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class ItemChangeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    changes = FieldChangeSerializer(many=True)
    stale_translations = serializers.ListField(child=serializers.CharField())


class PageDiffSerializer(serializers.Serializer[Any]):
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    changed = ItemChangeSerializer(many=True)


class VersionDiffSerializer(serializers.Serializer[Any]):
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    changed = ItemChangeSerializer(many=True)
    pages = PageDiffSerializer()
    form = FieldChangeSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())


class ExportFormatSerializer(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=sorted(EXPORT_SUFFIXES))


class ConceptSerializer(serializers.ModelSerializer[ItemBankConcept]):
    class Meta:
        model = ItemBankConcept
        fields = [
            "key",
            "label",
            "domain",
            "wvs7_item",
            "ess_variable",
            "equivalence",
            "definition",
            "loaded_at",
        ]
        read_only_fields = fields


class StartFromConceptsSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, help_text="The new questionnaire's name.")
    concepts = serializers.ListField(
        child=serializers.SlugField(max_length=100),
        min_length=1,
        max_length=MAX_CONCEPTS,
        help_text="Item-bank concept keys, in the order the items are asked.",
    )
