"""A private, throwaway PostgreSQL cluster for fault scenarios (bench/pg_restart.py).

The machine's own PostgreSQL (5432) serves other people's tests and is never stopped here:
this cluster lives in a fresh temporary directory (/tmp/pw-bench-pg-*, its socket there
too), on its own port, and is stopped and removed when the block ends. As root, initdb and pg_ctl run as the `postgres` user
(initdb refuses root) through runuser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.web.stack import BenchSetupError

PORTS = range(5433, 5450)
START_TIMEOUT = 60


def _pg_bin() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise BenchSetupError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    if shutil.which("runuser") is None:
        raise BenchSetupError("running as root needs runuser to start PostgreSQL as postgres")
    return ["runuser", "-u", "postgres", "--", *args]


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class PrivateCluster:
    def __init__(self) -> None:
        self.bin = _pg_bin()
        free = [port for port in PORTS if _is_free(port)]
        if not free:
            raise BenchSetupError(f"no free port for a private PostgreSQL in {PORTS}")
        self.port = free[0]
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.data = Path(tempfile.mkdtemp(prefix="pw-bench-pg-")) / "data"

    def _run(self, *args: str, check: bool = True) -> None:
        done = subprocess.run(
            _as_postgres([str(self.bin / args[0]), *args[1:]]),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT + 30,
            check=False,
        )
        if check and done.returncode:
            raise BenchSetupError(f"{args[0]} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.data.parent, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        log = str(self.data.parent / "server.log")
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.data.parent, ignore_errors=True)


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
