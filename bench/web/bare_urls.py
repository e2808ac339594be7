"""Panelwave's URLs plus the baseline of the submit benchmark: a bare view doing one INSERT."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as panelwave_urlpatterns

# Created with raw SQL by bench/web/stack.py (no migration: it exists only in bench databases).
BARE_TABLE = "bench_bare_insert"
BARE_PATH = "bench/bare/"


@csrf_exempt
@require_POST
def bare_insert_view(request: HttpRequest) -> HttpResponse:
    """One INSERT in autocommit (one statement, one commit), through the full middleware."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (payload) VALUES (%s)",
            [request.POST.get("n", "")],
        )
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path(BARE_PATH, bare_insert_view, name="bench-bare"), *panelwave_urlpatterns]
