"""Cleaning over the API: a wave's summary and flags, running the rules, overriding a flag.

Thin: each view checks who may ask, then calls respondents.cleaning.service; a refusal
names its own field and config/api.py turns it into the 400.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django_filters import rest_framework as filters  # type: ignore[import-untyped]
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from respondents.cleaning.requests import request_cleaning
from respondents.cleaning.service import (
    UNKNOWN_RULE,
    cleaning_summary,
    override_flag,
)
from respondents.models import FlagOverride, QualityFlag, Wave
from respondents.models import Response as SurveyResponse
from respondents.quality.rules import RULE_FAMILIES, family_of
from surveys.access import Action
from surveys.api.permissions import require_on


def _check_access(request: Request, study_id: int, *, deciding: bool) -> None:
    # Roles are decided in surveys.access: 404 outside the study, 403 without the right.
    require_on(request, Action.CLEAN if deciding else Action.VIEW_CLEANING, study_id)


def _known_rule(value: str) -> None:
    if family_of(value) not in RULE_FAMILIES:
        families = ", ".join(RULE_FAMILIES)
        raise forms.ValidationError(UNKNOWN_RULE.format(rule=value, families=families))


class QualityFlagFilter(filters.FilterSet):  # type: ignore[misc]
    rule = filters.CharFilter(
        field_name="rule",
        lookup_expr="startswith",
        validators=[_known_rule],
        help_text="A rule family (speeder) or a full rule name (duplicate:exact).",
    )

    class Meta:
        model = QualityFlag
        fields = ["rule"]


class CleaningSummarySerializer(serializers.Serializer[Any]):
    wave_id = serializers.IntegerField()
    run_id = serializers.IntegerField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    responses = serializers.IntegerField()
    flagged_responses = serializers.IntegerField()
    overrides = serializers.IntegerField()
    per_rule = serializers.DictField(child=serializers.IntegerField())
    per_channel = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField())
    )
    per_day = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
    notes = serializers.ListField(child=serializers.CharField())


class QualityFlagSerializer(serializers.ModelSerializer[QualityFlag]):
    source_id = serializers.CharField(source="response.source_id", allow_null=True)

    class Meta:
        model = QualityFlag
        fields = ["id", "response", "source_id", "rule", "score", "detail", "run"]


class CleanWaveSerializer(serializers.Serializer[Any]):
    config_overrides = serializers.DictField(required=False, default=dict)


class OverrideFlagSerializer(serializers.Serializer[Any]):
    response = serializers.IntegerField()
    rule = serializers.CharField(max_length=64)
    reason = serializers.CharField()


class FlagOverrideSerializer(serializers.ModelSerializer[FlagOverride]):
    class Meta:
        model = FlagOverride
        fields = ["id", "response", "rule", "reason", "decided_by", "decided_at", "revoked_at"]


class CleaningSummaryView(APIView):
    @extend_schema(responses=CleaningSummarySerializer)
    def get(self, request: Request, wave_id: int) -> Response:
        wave = get_object_or_404(Wave, pk=wave_id)
        # The summary's counts are figures, which every role may read.
        require_on(request, Action.VIEW_FIGURES, wave.study_id)
        summary = dataclasses.asdict(cleaning_summary(wave))
        return Response(CleaningSummarySerializer(summary).data)


class CleanWaveView(APIView):
    @extend_schema(request=CleanWaveSerializer, responses={202: None})
    def post(self, request: Request, wave_id: int) -> Response:
        wave = get_object_or_404(Wave, pk=wave_id)
        _check_access(request, wave.study_id, deciding=True)
        serializer = CleanWaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        overrides = serializer.validated_data["config_overrides"] or None
        # request_cleaning checks the overrides before queueing: a bad key is the caller's
        # 400 (config/api.py), not a worker's failure after a 202.
        request_cleaning(wave, config_overrides=overrides)
        return Response({"wave": wave.pk, "status": "queued"}, status=status.HTTP_202_ACCEPTED)


class ListQualityFlagsView(generics.ListAPIView[QualityFlag]):
    serializer_class = QualityFlagSerializer
    # ?rule=speeder, validated against the rule families (400 naming `rule` otherwise).
    filterset_class = QualityFlagFilter

    def get_queryset(self) -> QuerySet[QualityFlag]:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation (no wave): the model is all drf-spectacular needs.
            return QualityFlag.objects.none()
        wave = get_object_or_404(Wave, pk=self.kwargs["wave_id"])
        _check_access(self.request, wave.study_id, deciding=False)
        flags = QualityFlag.objects.filter(response__wave=wave).select_related("response")
        return flags.order_by("response_id", "rule")


class OverrideFlagView(APIView):
    @extend_schema(request=OverrideFlagSerializer, responses={201: FlagOverrideSerializer})
    def post(self, request: Request) -> Response:
        serializer = OverrideFlagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        response = get_object_or_404(
            SurveyResponse.objects.select_related("wave"), pk=data["response"]
        )
        _check_access(request, response.wave.study_id, deciding=True)
        # IsAuthenticated (the default permission) has already refused anonymous users.
        user = request.user if request.user.is_authenticated else None
        override = override_flag(
            response.pk, rule=data["rule"], reason=data["reason"], decided_by=user
        )
        return Response(FlagOverrideSerializer(override).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("waves/<int:wave_id>/cleaning/", CleaningSummaryView.as_view(), name="cleaning-summary"),
    path("waves/<int:wave_id>/cleaning/runs/", CleanWaveView.as_view(), name="clean-wave"),
    path("waves/<int:wave_id>/flags/", ListQualityFlagsView.as_view(), name="quality-flags"),
    path("flags/overrides/", OverrideFlagView.as_view(), name="override-flag"),
]
