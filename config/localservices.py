"""Find PostgreSQL and Redis on their default local ports, for `make test`.

Prints shell `export` lines: DATABASE_URL and REDIS_URL for whichever answers, leaving a
variable unset (SQLite, eager Celery) when its service does not. Values already in the
environment win. Django-free, so it runs before settings exist.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/panelwave"
REDIS_URL = "redis://127.0.0.1:6379/0"


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def postgres_answers() -> bool:
    # A port that accepts connections is not enough: the server must take a login.
    if not answers("127.0.0.1", 5432):
        return False
    try:
        import psycopg  # noqa: PLC0415 (only this probe needs the driver)

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3
        ):
            return True
    except (ImportError, psycopg.Error):
        return False


def main() -> int:
    lines = []
    if "DATABASE_URL" not in os.environ and postgres_answers():
        lines.append(f"export DATABASE_URL={shlex.quote(POSTGRES_URL)}")
    if "REDIS_URL" not in os.environ and answers("127.0.0.1", 6379):
        lines.append(f"export REDIS_URL={shlex.quote(REDIS_URL)}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
