"""A Celery worker killed in the middle of an export: the job is retried and completes,
with one set of files (exports/jobs.py for the claim and the publish).

A real prefork worker runs in a subprocess on a private Redis and the test database; its
child is killed with SIGKILL while it writes, as the kernel's OOM killer would. Celery's
acks_late with reject_on_worker_lost puts the message back, the worker's next child takes
it, finds the dead child's advisory lock gone and the job `running`, and builds it again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.conf import settings as django_settings
from django.db import connection

from config.celery import app as celery_app
from exports.models import ExportJob, ExportStatus
from exports.services.requests import request_export
from tests.conftest import postgres_only
from tests.exports.exporting import partial_dirs, use_media
from tests.exports.fixtures import EXPECTED_ROWS, build_three_wave_panel
from tests.private_redis import PrivateRedis, private_redis, use_broker  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90

pytestmark = [postgres_only(), pytest.mark.redis, pytest.mark.slow]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker(private_redis: PrivateRedis, settings: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:  # noqa: F811
    media = use_media(settings, tmp_path)
    pidfile = tmp_path / "child.pid"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": private_redis.url,
        "PANELWAVE_MEDIA_DIR": str(media),
        "PANELWAVE_VAR_DIR": str(django_settings.VAR_DIR),
        "SLOW_EXPORT_PIDFILE": str(pidfile),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.exports.slow_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    shared_broker = celery_app.conf.broker_url
    use_broker(private_redis.url)
    # request_export's message goes to the private broker, for the worker subprocess.
    celery_app.conf.task_always_eager = False
    yield {"media": media, "pidfile": pidfile, "process": process}
    use_broker(shared_broker)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait(condition: Any, what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"the worker exited ({process.returncode}): {stderr[-2000:]}")
        time.sleep(0.2)
    raise AssertionError(f"{what} within {WAIT_SECONDS} s")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_is_retried_and_leaves_one_set_of_files(worker):
    # given: an export the worker has started to write
    panel = build_three_wave_panel()
    job = request_export(panel.study, requested_by=None, format="csv", sample="panel", k=2)
    pidfile: Path = worker["pidfile"]
    _wait(pidfile.exists, "the worker never started writing", worker["process"])
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.RUNNING

    # when: its child is killed mid-export
    os.kill(int(pidfile.read_text()), signal.SIGKILL)

    # then: the job is built again and published once
    _wait(
        lambda: ExportJob.objects.get(pk=job.pk).status == ExportStatus.DONE,
        "the export was not retried to completion",
        worker["process"],
    )
    done = ExportJob.objects.get(pk=job.pk)
    assert done.attempts == 2
    media: Path = worker["media"]
    published = sorted((media / "exports").iterdir())
    assert [p.name for p in published if p.name != ".partial"] == [str(job.pk)]
    data = [name for name in done.files if name.endswith(".csv")]
    assert len(data) == 1
    rows = pd.read_csv(media / data[0])
    assert len(rows) == done.rows == EXPECTED_ROWS[("panel", "long", False)]
    # The killed attempt's partial files stay unpublished (the hourly sweep removes them).
    assert len(partial_dirs(media)) == 1
