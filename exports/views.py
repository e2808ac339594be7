"""The download view: follows a signed link, streams the file, 403 (audited) otherwise."""

from __future__ import annotations

from django.http import FileResponse, HttpResponseForbidden
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from exports.services.downloads import DownloadRefused, resolve_download


class DownloadExportView(APIView):
    """An APIView so API clients can follow links with their token, browsers with a session."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file"),
            403: OpenApiResponse(description="Link invalid, expired, or not yours"),
        }
    )
    def get(self, request: Request, token: str) -> FileResponse | HttpResponseForbidden:
        try:
            download = resolve_download(token, request.user)
        except DownloadRefused as exc:
            return HttpResponseForbidden(str(exc), content_type="text/plain; charset=utf-8")
        # FileResponse streams the file in blocks; the path comes from the job row only.
        return FileResponse(download.path.open("rb"), as_attachment=True, filename=download.file)
