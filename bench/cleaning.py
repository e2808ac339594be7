"""Benchmark: cleaning 100,000 and 1,000,000 responses of 60 items (docs/design.md target:
10^6 in under 60 s on 2 cores and under 4 GB).

Two figures, each size in its own child process so its peak memory (ru_maxrss) is its own:
- rules: the child generates a realistic wave (tests/respondents/quality/synthetic.py:
  correlated batteries, skewed categorical items, lognormal page times, planted speeders,
  straightliners and three kinds of duplicates; `--network-size N` puts every response on
  a network, one fingerprint, shared by N, as bench/scale.py's waves are), then times (a) the baseline: building the
  frame's code matrix from the raw answers (one factorisation per item, what loading costs
  at least), and (b) all the Django-free rules. Default sizes 100,000 and 1,000,000.
- end to end (`--end-to-end`, default size 100,000): the same generated wave bulk-created
  as Response rows (answers as choice names, page seconds in the paradata, timestamps,
  fingerprints) in a database of its own, then the `clean_wave` service through the real
  loader (respondents/cleaning/loading.py), the rules and the flag writer. On PostgreSQL the same
  child first times `COPY (SELECT * FROM respondents_response WHERE wave_id = ...) TO
  STDOUT` read to the end, and reports cleaning's ratio to it, and the time of the ORM
  reading the COPY reading replaced (`orm_load_seconds`). `--reuse` cleans the database
  the previous end-to-end run filled instead of filling it again. The database is a fresh
  SQLite file under the system temporary directory, or `pw_bench_cleaning` on the
  PostgreSQL server when DATABASE_URL names one. Loading the rows is not timed; the child
  that cleans is started after it, so its peak memory is the cleaning's alone.

Each figure gives wall seconds and CPU seconds (user + sys from resource.getrusage): of the
timed step inside the child (`cpu_seconds`) and of the whole child, generation and imports
included (`child_cpu_seconds`, from the parent's RUSAGE_CHILDREN). On a shared machine wall
time runs ahead of CPU time; the CPU figures are the ones to compare between runs.

Prints one JSON line. `--sizes 100000,1000000` chooses the sizes of the figures asked for.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RULE_SIZES = (100_000, 1_000_000)
END_TO_END_SIZES = (100_000,)
DATABASE = "pw_bench_cleaning"
SQLITE_FILE = Path(tempfile.gettempdir()) / "pw_bench_cleaning.sqlite3"
# Responses per bulk_create when filling the database (not timed).
FILL_BATCH = 5_000


def rules_child(n: int, network_size: int = 0) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import dataclasses

    import numpy as np
    import pandas as pd

    from respondents.quality.config import CleaningConfig
    from respondents.quality.rules import run_rules
    from tests.respondents.quality.synthetic import generate_wave

    wave = generate_wave(n, seed=11)
    frame = wave.frame
    if network_size:
        # Every original on one of n / network_size shared networks (bench/scale.py's
        # device-{i % 5000}); a device copy carries its source's fingerprint, so it stays on
        # its source's network.
        fingerprint = frame.fingerprint
        folded = np.where(fingerprint < n, fingerprint % max(n // network_size, 1), fingerprint)
        frame = dataclasses.replace(frame, fingerprint=folded)
    started = time.perf_counter()
    # Baseline: re-encode every item column as the loader does (pandas factorize).
    for j in range(frame.codes.shape[1]):
        pd.factorize(frame.codes[:, j].astype(np.int64))
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    cpu = _cpu_seconds(resource.RUSAGE_SELF)
    report = run_rules(frame, CleaningConfig())
    cpu = _cpu_seconds(resource.RUSAGE_SELF) - cpu
    seconds = time.perf_counter() - started
    return {
        "figure": "rules",
        "responses": frame.size,
        "items": frame.codes.shape[1] - 1,
        "network_size": network_size or None,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "baseline_seconds": round(baseline, 2),
        "ratio_to_baseline": round(seconds / baseline, 1) if baseline else 0.0,
        "rule_seconds": report.timings,
        "flags": {f.rule: f.rows.size for f in report.flags},
        "notes": [note for note in report.notes if not note.startswith("RSI sensitivity")],
    }


# End to end ---------------------------------------------------------------------------------


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme.startswith("postgres"):
        return urlunsplit(urlsplit(url)._replace(path=f"/{DATABASE}"))
    return f"sqlite:///{SQLITE_FILE}"


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = _database_url()
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def prepare(n: int) -> None:
    """A fresh database with the schema, then the wave's rows (in a child, not timed)."""
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme.startswith("postgres"):
        import psycopg

        server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            conn.execute(f"CREATE DATABASE {DATABASE}")
    else:
        SQLITE_FILE.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run([sys.executable, __file__, "--fill", str(n)], check=True)


def fill(n: int) -> None:
    _django()
    from datetime import UTC, datetime

    import numpy as np

    from respondents.models import Response, ResponseStatus, Wave, WaveState
    from tests.builders import build_version, make_study
    from tests.respondents.quality import synthetic

    wave_data = synthetic.generate_wave(n, seed=11)
    frame = wave_data.frame
    scale = [(str(k), {"en": f"level {k}"}) for k in range(1, 9)]
    options = [(chr(ord("a") + k), {"en": f"option {k}"}) for k in range(8)]
    battery_items = synthetic.BATTERY_PAGES * synthetic.ITEMS_PER_PAGE
    pages = []
    for p in range(synthetic.PAGES):
        columns = range(p * synthetic.ITEMS_PER_PAGE, (p + 1) * synthetic.ITEMS_PER_PAGE)
        questions: list[dict[str, Any]] = [
            {
                "name": frame.item_names[j],
                "type": "select_one",
                "choices": "scale" if j < battery_items else "options",
            }
            for j in columns
        ]
        if p == synthetic.PAGES - 1:
            questions.append(
                {
                    "name": "check",
                    "type": "select_one",
                    "choices": "scale",
                    "attention_expected": "2",
                }
            )
        pages.append({"name": frame.page_names[p], "questions": questions})
    study = make_study("bench")
    version = build_version(study, pages, choices={"scale": scale, "options": options})
    wave = Wave.objects.create(
        study=study, version=version, name="w1", slug="bench-w1", state=WaveState.OPEN
    )
    # Answer names per item and code; 8 levels, as near copies shift a code by one.
    names = np.array(
        [
            [
                name
                for name, _ in (
                    options if battery_items <= j < len(frame.item_names) - 1 else scale
                )
            ]
            for j in range(len(frame.item_names))
        ],
        dtype=object,
    )
    for start in range(0, frame.size, FILL_BATCH):
        rows = []
        for i in range(start, min(start + FILL_BATCH, frame.size)):
            begun = datetime.fromtimestamp(float(frame.started_at[i]), tz=UTC)
            rows.append(
                Response(
                    wave=wave,
                    answers={
                        item: names[j, code]
                        for j, (item, code) in enumerate(
                            zip(frame.item_names, frame.codes[i].tolist(), strict=True)
                        )
                        if code >= 0
                    },
                    paradata={
                        "pages": {
                            page: {"seconds": round(seconds, 1), "visits": 1}
                            for page, seconds in zip(
                                frame.page_names, frame.page_times[i].tolist(), strict=True
                            )
                        }
                    },
                    started_at=begun,
                    completed_at=datetime.fromtimestamp(float(frame.completed_at[i]), tz=UTC),
                    status=ResponseStatus.COMPLETED,
                    channel="tg",
                    language="ru",
                    fingerprint=f"fp{int(frame.fingerprint[i])}",
                    source_id=f"s{i + 1}",
                )
            )
        Response.objects.bulk_create(rows)


def end_to_end_child(n: int) -> dict[str, Any]:
    _django()
    from django.db import connection

    from respondents.cleaning.service import clean_wave
    from respondents.models import Wave

    wave = Wave.objects.get(slug="bench-w1")
    postgres = connection.vendor == "postgresql"
    copy_seconds = _copy_seconds(wave.pk) if postgres else None
    # The row-by-row ORM reading, which the COPY reading replaced on PostgreSQL.
    orm_load = _orm_load_seconds(wave) if postgres else None
    started = time.perf_counter()
    cpu = _cpu_seconds(resource.RUSAGE_SELF)
    run = clean_wave(wave.pk)
    cpu = _cpu_seconds(resource.RUSAGE_SELF) - cpu
    seconds = time.perf_counter() - started
    return {
        "figure": "end_to_end",
        "database": connection.vendor,
        "responses": run.counts["responses"],
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "copy_seconds": copy_seconds,
        "ratio_to_copy": round(seconds / copy_seconds, 1) if copy_seconds else None,
        "orm_load_seconds": orm_load,
        "step_seconds": run.timings,
        "flags": run.counts["rules"],
    }


def _orm_load_seconds(wave: Any) -> float:
    from django.utils import timezone

    from respondents.cleaning.loading import load_wave_frame
    from respondents.quality.config import CleaningConfig

    started = time.perf_counter()
    load_wave_frame(wave, config=CleaningConfig(), now=timezone.now(), through_copy=False)
    return round(time.perf_counter() - started, 3)


def _copy_seconds(wave_id: int) -> float:
    """PostgreSQL's own COPY of the wave's stored rows to the client, read to the end: the
    least any reading of the wave can take (measured twice, the faster kept, so both sides
    see a warm cache)."""
    from django.db import connection

    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            copy_sql = "COPY (SELECT * FROM respondents_response WHERE wave_id = %s) TO STDOUT"
            with cursor.cursor.copy(copy_sql, (wave_id,)) as copy:
                for _block in copy:
                    pass
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def _child(kind: str, n: int, extra: list[str] | None = None) -> dict[str, Any]:
    cpu = _cpu_seconds(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [sys.executable, __file__, f"--{kind}-child", str(n), *(extra or [])],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["child_cpu_seconds"] = round(_cpu_seconds(resource.RUSAGE_CHILDREN) - cpu, 2)
    return result


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> int:
    # Peak resident memory of this process, in MB (Linux reports KB).
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated response counts for the figures run")
    parser.add_argument("--rules", action="store_true", help="the rules-only figures")
    parser.add_argument("--end-to-end", action="store_true", help="loader, rules and writer")
    parser.add_argument(
        "--network-size",
        type=int,
        default=0,
        help="rules: every response on a network (fingerprint) shared by this many",
    )
    parser.add_argument("--rules-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--end-to-end-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--reuse", action="store_true", help="end to end: clean the database the last run filled"
    )
    args = parser.parse_args()
    if args.fill:
        fill(args.fill)
        return
    if args.rules_child:
        result = rules_child(args.rules_child, args.network_size)
        result["peak_mb"] = _peak_mb()
        print(json.dumps(result))
        return
    if args.end_to_end_child:
        result = end_to_end_child(args.end_to_end_child)
        result["peak_mb"] = _peak_mb()
        print(json.dumps(result))
        return
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None
    both = not args.rules and not args.end_to_end
    runs = []
    if args.rules or both:
        extra = ["--network-size", str(args.network_size)] if args.network_size else []
        runs += [_child("rules", n, extra) for n in sizes or RULE_SIZES]
    if args.end_to_end or both:
        for n in sizes or END_TO_END_SIZES:
            if not args.reuse:
                prepare(n)
            runs.append(_child("end-to-end", n))
    rules_runs = [r for r in runs if r["figure"] == "rules"]
    largest = max(rules_runs, key=lambda r: r["responses"]) if rules_runs else None
    print(
        json.dumps(
            {
                "bench": "cleaning",
                "runs": runs,
                "target": "1,000,000 responses x 60 items: < 60 s, < 4096 MB",
                "meets_target": (
                    largest is not None
                    and largest["responses"] >= 1_000_000
                    and largest["seconds"] < 60
                    and largest["peak_mb"] < 4096
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
