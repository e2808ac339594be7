"""Exports over the API: request one (202), follow its status, get signed download links.

A study the caller holds no role on answers as one that does not exist (404 naming
`study`), and so does a job of such a study: whether either exists is not for them to learn.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import NOT_FOUND
from config.links import site_link
from exports.api.serializers import (
    DownloadLinkSerializer,
    ExportJobSerializer,
    RequestExportSerializer,
)
from exports.models import ExportJob
from exports.services import StudyNotVisible, make_download_links, may_download, request_export


def _visible_job(request: Request, job_id: int) -> ExportJob:
    job = get_object_or_404(ExportJob.objects.select_related("study"), pk=job_id)
    if not may_download(request.user, job):
        # 404, not 403: whether an export exists is itself not for everyone to learn.
        raise NotFound()
    return job


class RequestExportView(APIView):
    @extend_schema(request=RequestExportSerializer, responses={202: ExportJobSerializer})
    def post(self, request: Request) -> Response:
        serializer = RequestExportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        try:
            job = request_export(
                data.pop("study"),
                requested_by=request.user,
                **{**data, "language": data.get("language") or None},
            )
        except StudyNotVisible as exc:
            raise NotFound({"study": [NOT_FOUND]}) from exc
        body = ExportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ExportStatusView(APIView):
    @extend_schema(responses={200: ExportJobSerializer})
    def get(self, request: Request, job_id: int) -> Response:
        job = _visible_job(request, job_id)
        return Response(ExportJobSerializer(job, context={"request": request}).data)


class ExportDownloadLinksView(APIView):
    @extend_schema(request=None, responses={200: DownloadLinkSerializer(many=True)})
    def post(self, request: Request, job_id: int) -> Response:
        job = _visible_job(request, job_id)
        links = make_download_links(job, request.user)
        data = DownloadLinkSerializer(links, many=True).data
        for link in data:
            link["url"] = site_link(link["url"])
        return Response(data)
