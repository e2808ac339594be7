"""Benchmark: how long `manage.py help` takes, against a bare Django project's
`manage.py help` in the same virtualenv (target: at most 3x).

The bare project is what `django-admin startproject` writes (admin, auth, contenttypes,
sessions, messages, staticfiles on SQLite), made fresh under a temporary directory. Every
command starts the same way (settings, app loading, admin autodiscovery), so `help` measures
the start-up every command pays. Runs alternate between the two projects so a busy machine
weighs on both alike; the figures are medians of wall and CPU time (user + sys of the
child, from RUSAGE_CHILDREN). Panelwave runs with DATABASE_URL and REDIS_URL as set, and
embedded (SQLite, no Redis) when they are not.

Also checks that Panelwave's `help` writes nothing on stderr (no start-up chatter).

Prints one JSON line. `--runs N` (default 9).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 3.0


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()

    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="pw-bare-") as directory:
        bare = Path(directory)
        subprocess.run(
            [python, "-m", "django", "startproject", "bareproject", str(bare)],
            check=True,
        )
        bare_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        ours_env = dict(os.environ)
        for _ in range(2):  # warm the file cache and the bytecode of both
            _timed([python, "manage.py", "help"], bare, bare_env)
            _timed([python, "manage.py", "help"], ROOT, ours_env)
        bare_wall, bare_cpu, ours_wall, ours_cpu = [], [], [], []
        stderr_lines: list[str] = []
        for _ in range(options.runs):
            wall, cpu, _err = _timed([python, "manage.py", "help"], bare, bare_env)
            bare_wall.append(wall)
            bare_cpu.append(cpu)
            wall, cpu, err = _timed([python, "manage.py", "help"], ROOT, ours_env)
            ours_wall.append(wall)
            ours_cpu.append(cpu)
            stderr_lines += [line for line in err.splitlines() if line.strip()]

    figures = {
        "bench": "manage_help",
        "runs": options.runs,
        "bare_wall_s": round(statistics.median(bare_wall), 3),
        "panelwave_wall_s": round(statistics.median(ours_wall), 3),
        "bare_cpu_s": round(statistics.median(bare_cpu), 3),
        "panelwave_cpu_s": round(statistics.median(ours_cpu), 3),
    }
    figures["ratio_wall"] = round(figures["panelwave_wall_s"] / figures["bare_wall_s"], 2)
    figures["ratio_cpu"] = round(figures["panelwave_cpu_s"] / figures["bare_cpu_s"], 2)
    figures["target_ratio"] = TARGET_RATIO
    figures["met"] = figures["ratio_cpu"] <= TARGET_RATIO and figures["ratio_wall"] <= TARGET_RATIO
    figures["stderr_lines"] = sorted(set(stderr_lines))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
