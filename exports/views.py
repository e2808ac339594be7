"""The download view: follows a signed link and streams the file; a refusal (audited by
the service) answers 403 as JSON for API clients, as a small page for a browser."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.views import APIView

from exports.services.downloads import DownloadRefused, resolve_download


def _is_browser(request: Request) -> bool:
    # A browser follows the link with its session and asks for HTML first; a script sends
    # its token, or asks for JSON or anything.
    accept = request.META.get("HTTP_ACCEPT", "")
    return request.auth is None and accept.startswith("text/html")


class DownloadExportView(APIView):
    """An APIView so API clients can follow links with their token, browsers with a session."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file"),
            403: OpenApiResponse(description="Link invalid, expired, or not yours"),
        }
    )
    def get(self, request: Request, token: str) -> FileResponse | HttpResponse:
        try:
            download = resolve_download(token, request.user)
        except DownloadRefused as exc:
            if _is_browser(request):
                context = {"reason": str(exc)}
                return render(request, "staff/download_refused.html", context, status=403)
            raise PermissionDenied(str(exc)) from exc
        # FileResponse streams the file in blocks; the path comes from the job row only.
        return FileResponse(download.path.open("rb"), as_attachment=True, filename=download.file)
