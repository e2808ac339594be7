"""Form uploads are bounded before any parser reads them, and large forms import in Celery.

Reproduces the probe's finding: a 1 MB .xlsx holding a 1 GiB shared string took a worker
from 292 MB to 2,341 MB until gunicorn killed it (its temp folder left behind), and a
0.7 MB row bomb held a worker 60 s. Both are now refused within 2 s and 300 MB of extra
memory, measured in a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from surveys.formimports import delete_stale_temp_files
from surveys.models import ImportStatus, QuestionnaireImport, QuestionnaireVersion
from tests.builders import make_study
from tests.surveys.bombs import write_row_bomb, write_zip_bomb
from tests.surveys.forms import SURVEY, write_form
from tests.surveys.personas import make_team

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
MB = 1024 * 1024

# Reads the file through the import service's first step (read_form, which every entry
# point reaches) and reports the outcome, the seconds it took and the peak memory above
# the process's size just before.
MEASURE = """
import json, os, sys, time
from pathlib import Path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from surveys.formspec import FormError
from surveys.services.questionnaires import read_form

def status_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

before = status_kb("VmRSS")
started = time.monotonic()
try:
    read_form(Path(sys.argv[1]))
    outcome = "read"
except FormError as exc:
    outcome = str(exc)
seconds = time.monotonic() - started
# VmHWM: this process's peak resident size (getrusage's ru_maxrss would carry over the
# parent's peak across fork and exec).
peak = status_kb("VmHWM")
print(json.dumps({"outcome": outcome, "seconds": seconds, "extra": peak - before}))
"""


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    valid = write_form(folder / "valid.xlsx")
    return {
        "zip": write_zip_bomb(valid, folder / "zip-bomb.xlsx"),
        # About 0.75 MB, like the probe's: 150,000 numbered rows compress well.
        "rows": write_row_bomb(valid, folder / "row-bomb.xlsx", rows=150_000),
    }


def _measure(path: Path) -> dict[str, Any]:
    env = {**os.environ, "PANELWAVE_VAR_DIR": str(path.parent / "var")}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_bombs_are_what_the_probe_sent(bombs):
    import zipfile

    with zipfile.ZipFile(bombs["zip"]) as archive:
        strings = archive.getinfo("xl/sharedStrings.xml")
    assert bombs["zip"].stat().st_size < 1.1 * MB
    assert strings.file_size > 1024 * MB
    assert bombs["rows"].stat().st_size < 1 * MB


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("zip", "zip-bomb.xlsx: the .xlsx archive unpacks to 1073766"),
        ("rows", "row-bomb.xlsx: sheet xl/worksheets/sheet1.xml reaches row 5"),
    ],
)
def test_a_bomb_is_refused_within_2_s_and_300_mb(bombs, kind, message):
    measured = _measure(bombs[kind])

    assert measured["outcome"].startswith(message), measured["outcome"]
    assert measured["seconds"] < 2.0
    assert measured["extra"] < 300 * MB


@pytest.mark.django_db
def test_an_uploaded_bomb_is_a_400_naming_the_bound_and_leaves_no_file(bombs, settings, tmp_path):
    settings.PANELWAVE_TMP_DIR = tmp_path / "tmp"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    team = make_team(make_study("alpha", ("en", "ru")), make_study("beta", ("en",)))
    client = APIClient()
    client.force_authenticate(team.researcher)

    with bombs["zip"].open("rb") as handle:
        reply = client.post(
            f"{API}/studies/alpha/questionnaires/upload/", {"file": handle}, format="multipart"
        )

    assert reply.status_code == 400
    assert reply.json()["field"] == "file"
    assert "(a zip bomb?)" in reply.json()["detail"]
    assert QuestionnaireVersion.objects.count() == 0
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.django_db
def test_a_large_form_is_imported_by_the_task_and_its_status_read_over_the_api(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a form above the inline threshold
    settings.FORM_IMPORT_INLINE_ROWS = 3
    settings.PANELWAVE_TMP_DIR = tmp_path / "tmp"
    team = make_team(make_study("alpha", ("en", "ru")), make_study("beta", ("en",)))
    client = APIClient()
    client.force_authenticate(team.researcher)
    path = write_form(tmp_path / "big.xlsx")

    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        queued = client.post(
            f"{API}/studies/alpha/questionnaires/upload/", {"file": handle}, format="multipart"
        )
    status = client.get(f"{API}/questionnaire-imports/{queued.json()['id']}/")
    outsider = APIClient()
    outsider.force_authenticate(team.outsider)

    assert queued.status_code == 202
    assert queued.json()["status"] == "queued"
    assert status.status_code == 200
    assert status.json()["status"] == "done"
    assert status.json()["items"] == 5
    version = QuestionnaireVersion.objects.get(pk=status.json()["version"])
    assert version.questions.count() == 5
    assert bytes(QuestionnaireImport.objects.get().content) == b""
    assert list((tmp_path / "tmp").iterdir()) == []
    assert outsider.get(f"{API}/questionnaire-imports/{queued.json()['id']}/").status_code == 404


@pytest.mark.django_db
def test_a_refused_large_form_records_the_reason_once(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.FORM_IMPORT_INLINE_ROWS = 3
    team = make_team(make_study("alpha", ("en", "ru")), make_study("beta", ("en",)))
    client = APIClient()
    client.force_authenticate(team.researcher)
    path = write_form(tmp_path / "bad.xlsx", survey=[*SURVEY, ["begin repeat", "kids", "Kids"]])

    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        queued = client.post(
            f"{API}/studies/alpha/questionnaires/upload/", {"file": handle}, format="multipart"
        )
    status = client.get(f"{API}/questionnaire-imports/{queued.json()['id']}/").json()

    assert status["status"] == ImportStatus.FAILED
    assert status["error"].startswith("bad.xlsx: row ")
    assert [p["message"] for p in status["problems"]] == status["error"].split("\n")
    assert status["problems"][0]["sheet"] == "survey"
    assert QuestionnaireVersion.objects.count() == 0


def test_the_sweep_removes_what_a_killed_process_left(settings, tmp_path):
    settings.PANELWAVE_TMP_DIR = tmp_path
    old = tmp_path / "panelwave-old"
    old.mkdir()
    (old / "form.xlsx").write_bytes(b"x")
    fresh = tmp_path / "panelwave-fresh"
    fresh.mkdir()
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))

    removed = delete_stale_temp_files()

    assert removed == 1
    assert [path.name for path in tmp_path.iterdir()] == ["panelwave-fresh"]
