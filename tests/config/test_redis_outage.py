"""Redis down while respondents answer: pages still save, requests for queued work still
succeed, and the work runs once Redis is back (config/queueing.py).

Redis here is a private server of the test's own (tests/private_redis.py), used as the
cache and the Celery broker, stopped and started again by the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.test import Client
from django.utils import timezone

from config.celery import app as celery_app
from exports.models import ExportJob, ExportStatus
from exports.services.requests import request_export
from exports.tasks import requeue_waiting_exports_task
from respondents.models import Invitation, Response, ResponseStatus
from respondents.services.invitations import invite_panel, send_unsent_invitations
from tests.exports.exporting import use_media
from tests.exports.fixtures import build_three_wave_panel
from tests.private_redis import PrivateRedis, private_redis, use_broker  # noqa: F401 (fixture)
from tests.respondents.fieldwork import make_fieldwork_study, make_member
from tests.respondents.fieldwork import make_wave as make_fieldwork_wave
from tests.respondents.form_helpers import EXPECTED_ANSWERS, GOOD_PAGES, answer_pages, make_wave
from tests.respondents.form_helpers import start_open as consent_on_open_link

pytestmark = pytest.mark.redis


@pytest.fixture
def on_private_redis(settings: Any, private_redis: PrivateRedis) -> Iterator[PrivateRedis]:  # noqa: F811
    """Cache and broker on the private Redis; tasks go through the broker (not eager)."""
    shared_caches = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    shared_broker = celery_app.conf.broker_url
    use_broker(private_redis.url)
    celery_app.conf.task_always_eager = False
    yield private_redis
    # Back before the suite's own teardown clears the cache.
    settings.CACHES = shared_caches
    use_broker(shared_broker)


@pytest.mark.django_db
def test_a_respondent_completes_the_form_while_redis_is_down(on_private_redis):
    # given
    wave = make_wave()
    on_private_redis.stop()
    client = Client()

    # when: consent (the start-rate limit reads the cache), then every page
    url = consent_on_open_link(client, wave, query="?src=tg")
    answer_pages(client, url, GOOD_PAGES)

    # then
    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETED
    assert response.answers == EXPECTED_ANSWERS


@pytest.mark.django_db(transaction=True)
def test_an_export_requested_while_redis_is_down_is_built_once_it_is_back(
    on_private_redis, settings, tmp_path
):
    # given
    media = use_media(settings, tmp_path)
    panel = build_three_wave_panel()
    on_private_redis.stop()

    # when: the request succeeds and the job waits, queued
    job = request_export(panel.study, requested_by=None, format="csv", k=2)
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.QUEUED

    # and: Redis is back, the sweep enqueues it, a worker takes it
    on_private_redis.start()
    settings.EXPORT_REQUEUE_AFTER = timedelta(0)
    assert requeue_waiting_exports_task.apply().get() == 1
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        done = _wait_for(job.pk, ExportStatus.DONE, seconds=60)

    # then
    assert done.attempts == 1
    assert (media / "exports" / str(job.pk)).is_dir()


@pytest.mark.django_db
def test_invitations_left_unsent_by_an_outage_go_out_with_the_next_sweep(
    on_private_redis, django_capture_on_commit_callbacks
):
    # given: two members to invite, and no broker
    study, version = make_fieldwork_study()
    wave = make_fieldwork_wave(study, version, "w1")
    for n in range(2):
        make_member(study, email=f"member{n}@example.org")
    on_private_redis.stop()

    # when: the invite run succeeds, but nothing could be queued
    with django_capture_on_commit_callbacks(execute=True):
        run = invite_panel(wave)
    assert run.created == 2
    assert Invitation.objects.filter(sent_at__isnull=True).count() == 2
    assert mail.outbox == []

    # and: an hour later, with the broker back (eager here: the sweep is what is tested)
    celery_app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        queued = send_unsent_invitations(now=timezone.now() + timedelta(hours=2))

    # then
    assert queued == 2
    assert Invitation.objects.filter(sent_at__isnull=True).count() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["member0@example.org", "member1@example.org"]


@pytest.mark.django_db
def test_the_sweep_leaves_a_wave_whose_invitations_are_still_going_out(on_private_redis):
    # given: one invitation sent a minute ago, one still waiting in the queue
    study, version = make_fieldwork_study()
    wave = make_fieldwork_wave(study, version, "w1")
    for n in range(2):
        make_member(study, email=f"member{n}@example.org")
    on_private_redis.stop()
    invite_panel(wave)
    later = timezone.now() + timedelta(hours=2)
    Invitation.objects.filter(pk=Invitation.objects.order_by("pk")[0].pk).update(
        sent_at=later - timedelta(minutes=1)
    )

    # when
    queued = send_unsent_invitations(now=later)

    # then
    assert queued == 0


def _wait_for(job_id: int, status: str, *, seconds: float) -> ExportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = ExportJob.objects.get(pk=job_id)
        if job.status == status:
            return job
        time.sleep(0.1)
    raise AssertionError(f"export {job_id} not {status} within {seconds} s")
