"""A real Celery worker on Redis runs a task that writes to the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from config.celery import app as celery_app
from surveys.models import ItemBankConcept
from surveys.tasks import load_item_bank_task


def redis_answers() -> bool:
    if not settings.REDIS_URL:
        return False
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not redis_answers(), reason="no Redis answers (set REDIS_URL or start redis-server)"
)


@pytest.fixture
def real_worker(transactional_db: None) -> Iterator[None]:
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    celery_app.conf.task_always_eager = True


def test_worker_on_redis_runs_a_task_that_writes_to_the_database(real_worker):
    assert ItemBankConcept.objects.count() == 0

    result = load_item_bank_task.delay()
    total = result.get(timeout=60)

    assert total == 35
    assert ItemBankConcept.objects.count() == 35
    assert ItemBankConcept.objects.get(key="trust_people").wvs7_item == "Q57"
