"""The debug page prints no connection URL's password, from settings or the environment."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

# Built, not written out: the debug page quotes this file's source lines in its traceback.
DB, REDIS, MAIL, BROKER = (
    f"{name}-pw-{4711 + n}" for n, name in enumerate(("db", "redis", "mail", "broker"))
)
SECRETS = (DB, REDIS, MAIL, BROKER)


def explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("explode/", explode)]


@pytest.fixture
def leaky_settings(settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__
    settings.DATABASE_URL = f"postgres://panel:{DB}@db.example:5432/panelwave"
    settings.REDIS_URL = f"redis://:{REDIS}@cache.example:6379/0"
    settings.EMAIL_URL = f"smtp://mailer:{MAIL}@mail.example:587/?tls=True"
    settings.CELERY_BROKER_URL = f"redis://:{BROKER}@cache.example:6379/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"redis://:{REDIS}@cache.example:6379/0",
        }
    }
    settings.SOME_SERVICE = {"endpoint": f"https://user:{BROKER}@api.example/"}
    return settings


def test_debug_page_hides_urls_with_credentials(leaky_settings):
    client = Client(raise_request_exception=False)

    # given runserver's request META, which carries the process environment
    reply = client.get(
        "/explode/",
        DATABASE_URL=leaky_settings.DATABASE_URL,
        REDIS_URL=leaky_settings.REDIS_URL,
        EMAIL_URL=leaky_settings.EMAIL_URL,
        SENTRY_LIKE=f"https://k:{MAIL}@errors.example/1",
    )

    page = reply.content.decode()
    assert reply.status_code == 500
    assert "RuntimeError" in page  # the debug page, not the plain error page
    for secret in SECRETS:
        assert secret not in page
    assert "DATABASE_URL" in page
    assert "STATIC_URL" in page
