"""The stack under test: a throwaway database, Panelwave migrated into it, gunicorn serving it.

Everything here listens on and talks to 127.0.0.1 only, and every start has its stop:
`bench_database` drops what it created, `gunicorn` ends the process group it started (by
its own pid), even when the benchmark fails half-way.
"""

from __future__ import annotations

import base64
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
SETTINGS_MODULE = "bench.web.bare_settings"
# gunicorn's own rule of thumb for sync workers, (2 x cores) + 1: while one worker waits on
# PostgreSQL (on the same machine) another uses the core.
WEB_CONCURRENCY = int(os.environ.get("BENCH_WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
START_TIMEOUT = 60.0


class BenchSetupError(SystemExit):
    """Something the benchmark needs is not there: exit non-zero with a message."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bench: {message}")


def server_url() -> str:
    """The PostgreSQL server of DATABASE_URL (its maintenance database), or the local one."""
    url = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        parts = urlsplit(DEFAULT_SERVER)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise BenchSetupError(
            f"benchmarks only run against a local PostgreSQL, not {parts.hostname}"
        )
    return urlunsplit(parts._replace(path="/postgres"))


def database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def require_postgres(server: str) -> None:
    import psycopg

    try:
        with psycopg.connect(server, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        raise BenchSetupError(f"no PostgreSQL answers at {server}: {exc}") from exc


def local_redis() -> str:
    """REDIS_URL (or the default local one) when a Redis answers there, else "" (no cache)."""
    url = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        return ""
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return url if sock.recv(16).startswith(b"+PONG") else ""
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Stack:
    database_url: str
    env: dict[str, str]
    port: int


def stack_environment(database: str, var_dir: Path, port: int) -> dict[str, str]:
    """Production settings (DJANGO_DEBUG off, secrets from the environment) for the bench."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PANELWAVE_")}
    redis_url = local_redis()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database,
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PANELWAVE_CONTACT_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "PANELWAVE_HASH_KEY": secrets.token_urlsafe(32),
            "PANELWAVE_VAR_DIR": str(var_dir),
            # Plain HTTP on loopback: no TLS proxy in front, so cookies must not be Secure.
            "SECURE_COOKIES": "0",
            # Every client is 127.0.0.1 with one user agent, so one fingerprint for all.
            "RESPONSE_START_LIMIT": "1000000000",
            "RESPONSE_START_NETWORK_LIMIT": "1000000000",
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": str(WEB_CONCURRENCY),
            "GUNICORN_THREADS": "1",
        }
    )
    if not redis_url:
        env.pop("REDIS_URL")
    return env


def create_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return database_url(server, name)


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode:
        raise BenchSetupError(f"migrate failed:\n{done.stderr[-3000:]}")


def create_bare_table(url: str) -> None:
    import psycopg

    from bench.web.bare_urls import BARE_TABLE

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {BARE_TABLE} (id bigserial PRIMARY KEY, "
            "created_at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)"
        )


def setup_django(env: dict[str, str]) -> None:
    """Point this process at the bench database with the server's settings."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@contextmanager
def bench_database(name: str, server: str | None = None) -> Iterator[Stack]:
    """A fresh database `name`, migrated, with this process's Django pointed at it."""
    server = server or server_url()
    require_postgres(server)
    var_dir = Path(tempfile.mkdtemp(prefix=f"{name}-var-"))
    url = create_database(server, name)
    is_set_up = False
    try:
        env = stack_environment(url, var_dir, free_port())
        migrate(env)
        setup_django(env)
        is_set_up = True
        yield Stack(database_url=url, env=env, port=int(env["PORT"]))
    finally:
        if is_set_up:
            from django.db import connections

            connections.close_all()
        drop_database(server, name)
        shutil.rmtree(var_dir, ignore_errors=True)


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def gunicorn(stack: Stack) -> Iterator[subprocess.Popen[bytes]]:
    """Panelwave's gunicorn (config/gunicorn_conf.py) on the bench port, until the block ends."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "-c", "config/gunicorn_conf.py"],
            cwd=ROOT,
            env=stack.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _healthy(stack.port):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-3000:]
                    raise BenchSetupError(f"gunicorn did not become healthy:\n{tail}")
                time.sleep(0.2)
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # Its own session: the arbiter's pid is the group id, workers included.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far, from /proc (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by the gunicorn workers and by the PostgreSQL backends serving the bench
    database: unlike wall-clock rates, per-request CPU holds on a machine shared with other
    work. Approximate: a backend that ends between two readings takes its last share along.
    """

    def __init__(self, arbiter_pid: int, database: str) -> None:
        self.arbiter_pid = arbiter_pid
        self.database = database
        self.pids: set[int] = set()
        self.workers: set[int] = set()
        self.readings: dict[int, float] = {}

    def _discover(self) -> None:
        import psycopg

        children = Path(f"/proc/{self.arbiter_pid}/task/{self.arbiter_pid}/children")
        workers = {int(pid) for pid in children.read_text().split()} if children.exists() else set()
        with psycopg.connect(self.database, autocommit=True, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        self.pids = workers | {int(pid) for (pid,) in rows}
        self.workers = workers

    def start(self) -> None:
        self._discover()
        self.readings = {pid: _cpu_seconds(pid) for pid in self.pids}

    def stop(self) -> tuple[float, float]:
        """(worker seconds, database seconds) since start()."""
        before = self.readings
        self._discover()
        used = {pid: _cpu_seconds(pid) - before.get(pid, 0.0) for pid in self.pids | set(before)}
        workers = sum(max(0.0, s) for pid, s in used.items() if pid in self.workers)
        database = sum(max(0.0, s) for pid, s in used.items() if pid not in self.workers)
        return workers, database
