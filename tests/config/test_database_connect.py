"""A request that cannot get a database connection fails in bounded time, never hangs.

A socket that listens and never accepts stands for a server that took the TCP connection
and never replies (a frozen PostgreSQL, or briefly one finishing its shutdown, whose
postmaster stops accepting before it closes its port): the kernel completes the handshake
and the start-up packet is never answered.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections
from django.db.backends.postgresql.base import DatabaseWrapper

from tests.config.test_settings import CONFIG_VARIABLES, ROOT, load_settings

# Only a guard so a regression fails rather than stalls the run; the assertion is the error.
HANG_GUARD = 60


def connect_timeout(tmp_path: Path, **env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    clean.pop("DATABASE_CONNECT_TIMEOUT", None)
    clean.update(env, PANELWAVE_VAR_DIR=str(tmp_path / "var"))
    probe = (
        "import config.settings as s; print(s.DATABASES['default']['OPTIONS']['connect_timeout'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@pytest.fixture
def silent_server() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


@pytest.mark.postgres
def test_connecting_to_a_server_that_never_answers_fails_with_a_timeout(
    silent_server: int, django_db_blocker: Any
) -> None:
    default = connections["default"]
    if default.vendor != "postgresql":
        pytest.skip("needs PostgreSQL settings (DATABASE_URL)")
    params = {**default.settings_dict, "HOST": "127.0.0.1", "PORT": str(silent_server)}
    wrapper = DatabaseWrapper(params, alias="silent")
    outcome: list[BaseException] = []

    def connect() -> None:
        try:
            with django_db_blocker.unblock():
                wrapper.ensure_connection()
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            outcome.append(exc)

    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(HANG_GUARD)
    assert not attempt.is_alive(), "the connection attempt hung"
    assert len(outcome) == 1
    assert isinstance(outcome[0], OperationalError)
    assert "timeout expired" in str(outcome[0])


def test_postgres_connections_wait_five_seconds_unless_told(tmp_path: Path) -> None:
    url = "postgres://panel:pw@db.example:5433/panelwave"
    assert connect_timeout(tmp_path, DATABASE_URL=url) == 5
    assert connect_timeout(tmp_path, DATABASE_URL=url, DATABASE_CONNECT_TIMEOUT="12") == 12


@pytest.mark.parametrize("value", ["0", "1", "31", "-5"])
def test_an_unbounded_or_out_of_range_connect_timeout_stops_start_up(
    tmp_path: Path, value: str
) -> None:
    result = load_settings(
        tmp_path,
        DATABASE_URL="postgres://panel:pw@db.example:5433/panelwave",
        DATABASE_CONNECT_TIMEOUT=value,
    )
    assert result.returncode != 0
    assert f"DATABASE_CONNECT_TIMEOUT must be between 2 and 30 seconds, not {value}" in (
        result.stderr
    )
