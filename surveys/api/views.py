"""Questionnaires over the API: studies, questionnaires, versions (upload a form to make a
draft, publish, fork, diff, export), the item bank, and a draft from item-bank concepts.

Thin: each view checks the caller's study role (surveys/access.py through
StudyRolePermission: 404 outside the study, 403 when the role lacks the action), then calls
one service. Researchers and owners edit questionnaires; the roles that may read them
(surveys.access.Action.VIEW_QUESTIONNAIRES) read. A write to a published version answers
409 (config/api.py maps FrozenVersionError); a refused form answers 400 naming the file,
row and column, with `field` "file" and each bad row in `problems` (sheet, row, column).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from surveys.access import Action, studies_visible_to
from surveys.api.permissions import StudyRolePermission
from surveys.api.serializers import (
    ConceptSerializer,
    ExportFormatSerializer,
    FormImportStatusSerializer,
    ImportResultSerializer,
    QuestionnaireSerializer,
    StartFromConceptsSerializer,
    StudySerializer,
    UploadFormSerializer,
    VersionDetailSerializer,
    VersionDiffSerializer,
    VersionSerializer,
    form_refusal_serializer,
)
from surveys.models import (
    ItemBankConcept,
    Questionnaire,
    QuestionnaireImport,
    QuestionnaireVersion,
    Study,
)
from surveys.services.form_imports import form_import_status, upload_form
from surveys.services.questionnaires import (
    EXPORT_SUFFIXES,
    diff_versions,
    export_questionnaire,
    fork_version,
    publish_version,
    start_questionnaire_from_concepts,
)
from surveys.services.uploads import saved_media, saved_upload

READ = {"GET": Action.VIEW_QUESTIONNAIRES}
EDIT = {"POST": Action.EDIT_QUESTIONNAIRES}
CONTENT_TYPES = {
    "xlsform": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


class _StudyRoleView(APIView):
    permission_classes = [StudyRolePermission]
    study_actions: dict[str, Action] = READ

    def study(self, slug: str) -> Study:
        study = get_object_or_404(Study, slug=slug)
        self.check_object_permissions(self.request, study)
        return study

    def version(self, version_id: int) -> QuestionnaireVersion:
        version = get_object_or_404(
            QuestionnaireVersion.objects.select_related("questionnaire__study"), pk=version_id
        )
        self.check_object_permissions(self.request, version)
        return version


def _version_body(version: QuestionnaireVersion) -> dict[str, Any]:
    return dict(VersionSerializer(version).data)


# -- studies and questionnaires ------------------------------------------------------------


@extend_schema(responses=StudySerializer(many=True))
class ListStudiesView(generics.ListAPIView[Study]):
    """The studies the caller holds a role on."""

    serializer_class = StudySerializer

    def get_queryset(self) -> QuerySet[Study]:
        return studies_visible_to(self.request.user).order_by("slug")


@extend_schema(responses=StudySerializer)
class StudyDetailView(generics.RetrieveAPIView[Study]):
    serializer_class = StudySerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Study]:
        # 404 for a study the caller has no role on, as for one that does not exist.
        return studies_visible_to(self.request.user)


@extend_schema(responses=QuestionnaireSerializer(many=True))
class ListQuestionnairesView(_StudyRoleView, generics.ListAPIView[Questionnaire]):
    serializer_class = QuestionnaireSerializer
    # For the schema generator, which asks for the model without a request.
    queryset = Questionnaire.objects.none()

    def get_queryset(self) -> QuerySet[Questionnaire]:
        study = self.study(self.kwargs["slug"])
        return Questionnaire.objects.filter(study=study).select_related("study").order_by("name")


@extend_schema(responses=VersionSerializer(many=True))
class ListVersionsView(_StudyRoleView, generics.ListAPIView[QuestionnaireVersion]):
    serializer_class = VersionSerializer
    queryset = QuestionnaireVersion.objects.none()

    def get_queryset(self) -> QuerySet[QuestionnaireVersion]:
        questionnaire = get_object_or_404(Questionnaire, pk=self.kwargs["questionnaire_id"])
        self.check_object_permissions(self.request, questionnaire)
        return (
            QuestionnaireVersion.objects.filter(questionnaire=questionnaire)
            .select_related("questionnaire__study")
            .order_by("number")
        )


# -- versions --------------------------------------------------------------------------


class VersionDetailView(_StudyRoleView):
    @extend_schema(responses=VersionDetailSerializer)
    def get(self, request: Request, version_id: int) -> Response:
        return Response(VersionDetailSerializer(self.version(version_id)).data)


class UploadQuestionnaireView(_StudyRoleView):
    """A form file (multipart field `file`) becomes a new draft version, as
    import_questionnaire does: at once (201) for a small form, through a Celery task for a
    large one (202, then GET the import's status)."""

    parser_classes = [MultiPartParser, FormParser]
    study_actions = EDIT

    @extend_schema(
        request={"multipart/form-data": UploadFormSerializer},
        responses={
            201: ImportResultSerializer,
            202: FormImportStatusSerializer,
            400: form_refusal_serializer(),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        study = self.study(slug)
        incoming = UploadFormSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        options = {
            "skip_unsupported": data["skip_unsupported"],
            "allow_no_labels": data["allow_no_labels"],
            "questionnaire_name": data.get("name"),
        }
        upload = data["file"]
        with saved_upload(upload.name or "", upload.chunks()) as path:
            if data.get("media"):
                options["media"] = saved_media(path.parent, data["media"])
            outcome = upload_form(path, study=study, options=options, requested_by=request.user)
        if outcome.queued is not None:
            queued = form_import_status(outcome.queued.pk)
            body = FormImportStatusSerializer(dataclasses.asdict(queued)).data  # type: ignore[arg-type]
            return Response(body, status=status.HTTP_202_ACCEPTED)
        body = ImportResultSerializer(outcome.result).data
        return Response(body, status=status.HTTP_201_CREATED)


class FormImportStatusView(_StudyRoleView):
    """How a large form's import went."""

    @extend_schema(responses=FormImportStatusSerializer)
    def get(self, request: Request, import_id: int) -> Response:
        job = get_object_or_404(QuestionnaireImport, pk=import_id)
        self.check_object_permissions(request, job)
        found = form_import_status(job.pk)
        return Response(FormImportStatusSerializer(dataclasses.asdict(found)).data)  # type: ignore[arg-type]


class PublishVersionView(_StudyRoleView):
    study_actions = EDIT

    @extend_schema(
        request=None,
        responses={
            200: VersionSerializer,
            409: OpenApiResponse(description="Already published, or an item changed type."),
        },
    )
    def post(self, request: Request, version_id: int) -> Response:
        version = self.version(version_id)
        return Response(_version_body(publish_version(version.pk)))


class ForkVersionView(_StudyRoleView):
    study_actions = EDIT

    @extend_schema(request=None, responses={201: VersionSerializer})
    def post(self, request: Request, version_id: int) -> Response:
        version = self.version(version_id)
        draft = fork_version(version.pk)
        return Response(_version_body(draft), status=status.HTTP_201_CREATED)


class DiffVersionsView(_StudyRoleView):
    """What changed from `version_id` to `other_id`, item by item, with warnings."""

    @extend_schema(
        responses={
            200: VersionDiffSerializer,
            409: OpenApiResponse(description="An item keeps its name but changes type."),
        }
    )
    def get(self, request: Request, version_id: int, other_id: int) -> Response:
        old, new = self.version(version_id), self.version(other_id)
        return Response(VersionDiffSerializer(diff_versions(old.pk, new.pk).as_dict()).data)


class _FileFormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the export's file format here, not one of DRF's renderers (DRF
    reads that parameter as a renderer override); errors still answer in JSON."""

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ExportVersionView(_StudyRoleView):
    """The version as an XLSForm (.xlsx) or native JSON file, ready to import again."""

    content_negotiation_class = _FileFormatNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=sorted(EXPORT_SUFFIXES),
                required=True,
                description="xlsform or json",
            )
        ],
        responses={
            (200, CONTENT_TYPES["xlsform"]): OpenApiTypes.BINARY,
            (200, CONTENT_TYPES["json"]): OpenApiTypes.OBJECT,
        },
    )
    def get(self, request: Request, version_id: int) -> HttpResponse:
        version = self.version(version_id)
        incoming = ExportFormatSerializer(data=request.query_params)
        incoming.is_valid(raise_exception=True)
        export_format = incoming.validated_data["format"]
        filename = f"{version.questionnaire.name}-v{version.number}{EXPORT_SUFFIXES[export_format]}"
        with tempfile.TemporaryDirectory(prefix="panelwave-export-") as directory:
            path = export_questionnaire(
                version.pk, format=export_format, out=Path(directory) / filename
            )
            content = path.read_bytes()
        response = HttpResponse(content, content_type=CONTENT_TYPES[export_format])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# -- the item bank -----------------------------------------------------------------------


@extend_schema(responses=ConceptSerializer(many=True))
class ListConceptsView(generics.ListAPIView[ItemBankConcept]):
    """The WVS-7/ESS item bank: shared reference data every signed-in user may read."""

    serializer_class = ConceptSerializer
    queryset = ItemBankConcept.objects.order_by("domain", "key")


@extend_schema(responses=ConceptSerializer)
class ConceptDetailView(generics.RetrieveAPIView[ItemBankConcept]):
    serializer_class = ConceptSerializer
    queryset = ItemBankConcept.objects.all()
    lookup_field = "key"


class StartQuestionnaireFromConceptsView(_StudyRoleView):
    """A new draft whose items are item-bank concepts in their reference wording."""

    study_actions = EDIT

    @extend_schema(request=StartFromConceptsSerializer, responses={201: VersionSerializer})
    def post(self, request: Request, slug: str) -> Response:
        study = self.study(slug)
        incoming = StartFromConceptsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        version = start_questionnaire_from_concepts(
            study, data["concepts"], questionnaire_name=data["name"]
        )
        return Response(_version_body(version), status=status.HTTP_201_CREATED)
