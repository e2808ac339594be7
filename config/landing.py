"""`/`: a neutral page. It names no study (who runs a survey here is nobody's business who
was not sent its link) and offers staff a way to sign in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")
