"""Fieldwork over the API: waves (open, change state), inviting the panel, invitation
counts, fieldwork figures, and panel members (pseudonym and status only, never contacts).

Thin: each view checks who may ask, then calls a service. Reading waves and figures needs
any role on the wave's study; the panel's members are listed to owners and fieldwork
managers only (viewers see figures); opening, closing, inviting and withdrawing need owner
or fieldwork manager. Lists filter through django-filter FilterSets, so a bad filter value
answers 400 naming the parameter and the filters appear in the OpenAPI schema. A service's
refusal names the request field it is about, and config/api.py turns it into the 400.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from respondents.api.filters import PanelMemberFilter, WaveFilter
from respondents.api.serializers import (
    InvitationCountsSerializer,
    InvitationRunSerializer,
    InvitePanelSerializer,
    OpenWaveSerializer,
    PanelMemberSerializer,
    WaveFiguresSerializer,
    WaveSerializer,
    WaveStateSerializer,
)
from respondents.models import Invitation, PanelMember, Wave
from respondents.services import waves as wave_service
from respondents.services.figures import wave_figures
from respondents.services.invitations import invite_panel, withdraw_member
from respondents.services.waves import change_wave_state, open_wave
from surveys.access import Action, studies_where
from surveys.api.permissions import require_on
from surveys.models import Study


def _check_access(request: Request, study_id: int, *, manage: bool) -> None:
    # Roles are decided in surveys.access: 404 outside the study, 403 without the right.
    require_on(request, Action.RUN_WAVES if manage else Action.VIEW_FIGURES, study_id)


def _studies_where(request: Request, action: Action) -> QuerySet[Study]:
    return studies_where(request.user, action)


class ListAndOpenWavesView(generics.ListCreateAPIView[Wave]):
    serializer_class = WaveSerializer
    # ?study=panel&state=open (django-filter, the REST_FRAMEWORK default filter backend).
    filterset_class = WaveFilter

    def get_queryset(self) -> QuerySet[Wave]:
        waves = Wave.objects.filter(study__in=_studies_where(self.request, Action.VIEW_FIGURES))
        return waves.select_related("study").order_by("study__slug", "created_at")

    @extend_schema(request=OpenWaveSerializer, responses={201: WaveSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = OpenWaveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        study = get_object_or_404(Study, slug=data["study"])
        _check_access(request, study.pk, manage=True)
        # Another study's version answers 404 like an unknown one: no probing of ids.
        version = wave_service.find_version(study, data["version"])
        if version is None:
            raise Http404
        wave = open_wave(
            study, version, data["name"], channels=data["channels"], closes_at=data["closes_at"]
        )
        return Response(WaveSerializer(wave).data, status=status.HTTP_201_CREATED)


class WaveDetailView(generics.RetrieveAPIView[Wave]):
    serializer_class = WaveSerializer

    def get_object(self) -> Wave:
        wave = get_object_or_404(Wave.objects.select_related("study"), pk=self.kwargs["wave_id"])
        _check_access(self.request, wave.study_id, manage=False)
        return wave


class ChangeWaveStateView(APIView):
    @extend_schema(request=WaveStateSerializer, responses=WaveSerializer)
    def post(self, request: Request, wave_id: int) -> Response:
        wave = get_object_or_404(Wave, pk=wave_id)
        _check_access(request, wave.study_id, manage=True)
        incoming = WaveStateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        wave = change_wave_state(wave, incoming.validated_data["state"])
        return Response(WaveSerializer(wave).data)


class InvitePanelView(APIView):
    @extend_schema(responses=InvitationCountsSerializer)
    def get(self, request: Request, wave_id: int) -> Response:
        wave = get_object_or_404(Wave, pk=wave_id)
        _check_access(request, wave.study_id, manage=False)
        counts = Invitation.objects.filter(wave=wave).aggregate(
            invitations=Count("pk"),
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            started=Count("pk", filter=Q(started_at__isnull=False)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            reminded=Count("pk", filter=Q(reminders_sent__gt=0)),
        )
        return Response(InvitationCountsSerializer(counts).data)

    @extend_schema(request=InvitePanelSerializer, responses={202: InvitationRunSerializer})
    def post(self, request: Request, wave_id: int) -> Response:
        wave = get_object_or_404(Wave.objects.select_related("study"), pk=wave_id)
        _check_access(request, wave.study_id, manage=True)
        incoming = InvitePanelSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        run = invite_panel(wave, limit=incoming.validated_data["limit"])
        # 202: the e-mails go out through the rate-limited task after this returns.
        return Response(dataclasses.asdict(run), status=status.HTTP_202_ACCEPTED)


class WaveFiguresView(APIView):
    @extend_schema(responses=WaveFiguresSerializer)
    def get(self, request: Request, wave_id: int) -> Response:
        wave = get_object_or_404(Wave, pk=wave_id)
        _check_access(request, wave.study_id, manage=False)
        return Response(WaveFiguresSerializer(dataclasses.asdict(wave_figures(wave))).data)


class ListPanelMembersView(generics.ListAPIView[PanelMember]):
    serializer_class = PanelMemberSerializer
    filterset_class = PanelMemberFilter

    def get_queryset(self) -> QuerySet[PanelMember]:
        # Owners and fieldwork managers: a viewer sees figures, not the panel's members.
        members = PanelMember.objects.filter(
            study__in=_studies_where(self.request, Action.VIEW_PANEL)
        )
        return members.select_related("study").order_by("created_at", "pk")


class WithdrawMemberView(APIView):
    @extend_schema(request=None, responses=PanelMemberSerializer)
    def post(self, request: Request, pseudonym: str) -> Response:
        member = get_object_or_404(PanelMember, pseudonym=pseudonym)
        _check_access(request, member.study_id, manage=True)
        return Response(PanelMemberSerializer(withdraw_member(member)).data)
