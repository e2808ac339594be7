"""Shared fixtures. The database and broker come from the environment (`make test` finds
PostgreSQL and Redis when they answer); the header says which this run used."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from config.celery import app as celery_app


def pytest_report_header(config: pytest.Config) -> list[str]:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = "redis" if settings.REDIS_URL else "none (Celery eager, in-process)"
    return [f"panelwave: database={engine} broker={broker}"]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tests run tasks in-process unless they start a real worker (tests/config/
    # test_celery_worker.py turns this off for itself).
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    cache.clear()
    yield
    cache.clear()


def postgres_only() -> pytest.MarkDecorator:
    is_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    return pytest.mark.skipif(not is_postgres, reason="needs PostgreSQL (DATABASE_URL)")
