"""deploy/systemd's units pass `systemd-analyze verify` (with the code's path pointed at a
stand-in, since this machine has no /srv/panelwave), and each keeps its sandbox."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
UNITS = sorted((Path(settings.BASE_DIR) / "deploy" / "systemd").glob("*.service"))
SANDBOX = [
    "User=panelwave",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ReadWritePaths=/var/lib/panelwave",
    "PrivateTmp=yes",
    "CapabilityBoundingSet=",
]


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_the_units_pass_systemd_analyze_verify(tmp_path):
    assert SYSTEMD_ANALYZE is not None
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    for tool in ["gunicorn", "celery"]:
        stand_in = app / ".venv" / "bin" / tool
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/srv/panelwave", str(app)))
        copies.append(str(copy))

    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *copies],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # verify exits 0 even for unknown keys or bad values; it only prints them
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == ""


def test_every_unit_is_sandboxed_and_runs_as_the_dedicated_user():
    assert [unit.name for unit in UNITS] == [
        "panelwave-beat.service",
        "panelwave-web.service",
        "panelwave-worker.service",
    ]
    for unit in UNITS:
        lines = unit.read_text().splitlines()
        assert [line for line in SANDBOX if line not in lines] == [], unit.name
