"""A real Celery worker (prefork, one child) whose first export pauses after its first
chunk is written, so a test can kill the child in the middle of an export.

Run as `python -m tests.exports.slow_worker`, with SLOW_EXPORT_PIDFILE naming a file: the
child writes its pid there when it pauses. Later attempts (the file exists) do not pause.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import django

PAUSE_SECONDS = 120


def _pausing_get_writer(real: Any, pidfile: Path) -> Any:
    def get_writer(format_name: str) -> Any:
        writer = real(format_name)

        def write(dataset: Any, directory: Path, *, basename: str, progress: Any = None) -> Any:
            def paused_progress(written: int) -> None:
                if progress is not None:
                    progress(written)
                if not pidfile.exists():
                    pidfile.write_text(str(os.getpid()))
                    time.sleep(PAUSE_SECONDS)

            return writer(dataset, directory, basename=basename, progress=paused_progress)

        return write

    return get_writer


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from config.celery import app
    from exports import jobs

    pidfile = Path(os.environ["SLOW_EXPORT_PIDFILE"])
    jobs.get_writer = _pausing_get_writer(jobs.get_writer, pidfile)  # type: ignore[attr-defined]
    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    main()
