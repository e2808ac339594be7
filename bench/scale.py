"""Benchmark: a panel study at scale on one machine: N respondents in each of 3 waves,
imported, cleaned, and exported in every sample and layout, with each step's time and peak
memory, and each step's growth from the smallest size to the largest.

Creates its own database (`pw_bench_scale`, or BENCH_SCALE_DATABASE, on the DATABASE_URL
server, default postgres://postgres@127.0.0.1:5432) per size, migrates it and builds the study of
bench/imports.py (37 items on 6 pages, four open questions) with age and country as
quasi-identifiers. Wave 1 has N people; 65% of a wave's people come back in the next
(same panel_key), newcomers fill it up to N. Each step is the scripting contract's own
command in a child process (so its peak memory, ru_maxrss, is its own):

- `import_responses` of each wave's CSV (its scrub tasks are queued on an in-memory
  broker and not run here);
- `scrub_free_text --study --jobs <cores>`: what those tasks do on workers, each free-text
  answer scrubbed once and stored. Without it the first export would scrub every answer itself
  (an export never releases an unscrubbed answer), and time the scrubber, not the export;
- `clean_wave` of each wave;
- `export_data --format csv` of all three waves for each sample (combined, panel,
  balanced) and layout (long, wide), k = 5.

Sizes: `--sizes 100000` (default), `--million` for 100,000 and 1,000,000. `--keep` leaves
the last size's database in place, so one step can be profiled on it (`python bench/scale.py
step <command> <arguments>` with that database's DATABASE_URL). Prints one JSON
line per size as it finishes, then one summary line: per step the seconds and peak MB at
each size, and `growth`: (time at the largest / time at the smallest) / (size ratio),
so 1.0 is linear and below 1 better than linear.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.imports import HEADER, _choices, _pages, _row
from bench.web.stack import (
    create_database,
    database_url,
    drop_database,
    migrate,
    require_postgres,
    server_url,
    setup_django,
)

# On a machine shared by several people each may name their own (BENCH_SCALE_DATABASE).
DATABASE = os.environ.get("BENCH_SCALE_DATABASE", "pw_bench_scale")
WAVES = 3
RETURNING = 0.65
SAMPLES = ("combined", "panel", "balanced")
LAYOUTS = ("long", "wide")
QUASI = ("age", "country")
COUNTED = (
    "imported",
    "rejected",
    "members_created",
    "responses",
    "answers",
    "flagged",
    "rows",
    "k_reached",
)


def _bench_url() -> str:
    return database_url(server_url(), DATABASE)


def _environment(eager: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _bench_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # Imports queue their scrub tasks on an in-memory broker (not run); cleaning and
        # exports run their tasks in the process, as the commands do without a worker.
        "CELERY_TASK_ALWAYS_EAGER": "1" if eager else "0",
    }
    env.pop("REDIS_URL", None)
    return env


def setup() -> None:
    setup_django(_environment(eager=True))
    from respondents.services.waves import open_wave
    from tests.builders import build_version, make_study

    pages = _pages()
    for page in pages:
        for question in page["questions"]:  # type: ignore[attr-defined]
            if question["name"] in QUASI:
                question["privacy"] = "quasi"
    study = make_study("scale")
    version = build_version(study, pages, choices=_choices())
    for wave in range(1, WAVES + 1):
        open_wave(study, version, f"w{wave}")


def write_waves(size: int, directory: Path) -> list[Path]:
    """Each wave's CSV: people by panel key, 65% of the last wave's coming back."""
    chance = random.Random(size)
    people = list(range(size))
    newcomer = size
    paths = []
    for wave in range(1, WAVES + 1):
        if wave > 1:
            back = chance.sample(people, int(size * RETURNING))
            people = back + list(range(newcomer, newcomer + size - len(back)))
            newcomer += size - len(back)
        path = directory / f"w{wave}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for number, person in enumerate(people):
                row = _row(chance, number)
                row[HEADER.index("source_id")] = f"w{wave}-{number}"
                row[HEADER.index("panel_key")] = f"person-{person}"
                writer.writerow(row)
        paths.append(path)
    return paths


def _step(figures: dict[str, dict[str, object]], name: str, args: list[str], eager: bool) -> None:
    """Run one step and say how it went on stderr at once (a long run can be watched)."""
    figures[name] = _command(args, eager)
    print(json.dumps({"step": name, **figures[name]}), file=sys.stderr, flush=True)


def _command(args: list[str], eager: bool) -> dict[str, object]:
    """One command in a child process: its wall time, CPU time and peak memory."""
    done = subprocess.run(
        [sys.executable, __file__, "step", *args],
        env=_environment(eager),
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        # Recorded, and the study goes on: a step that fails at a size is a finding.
        last = done.stderr.strip().splitlines()[-1:] or ["no message"]
        return {"failed": last[0][:300], "seconds": None, "peak_mb": None}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def step(args: list[str]) -> None:
    """Child: run one management command, print its figures as the last line."""
    import io

    import django
    from django.core.management import call_command

    django.setup()
    out = io.StringIO()
    started = time.perf_counter()
    call_command(*args, stdout=out)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    printed = out.getvalue().strip().splitlines()
    said = json.loads(printed[-1]) if printed else {}
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                "peak_mb": round(usage.ru_maxrss / 1024),
                # What the command counted: rows imported, refused, flagged, exported.
                **{key: said[key] for key in COUNTED if key in said},
            }
        )
    )


def run_size(size: int, keep: bool = False) -> dict[str, dict[str, object]]:
    server = server_url()
    require_postgres(server)
    create_database(server, DATABASE)
    figures: dict[str, dict[str, object]] = {}
    try:
        migrate(_environment(eager=True))
        subprocess.run(
            [sys.executable, __file__, "setup"], env=_environment(eager=True), check=True
        )
        with tempfile.TemporaryDirectory() as directory:
            paths = write_waves(size, Path(directory))
            ids = _wave_ids()
            for wave, path in enumerate(paths, start=1):
                _step(
                    figures,
                    f"import w{wave}",
                    ["import_responses", str(ids[wave - 1]), str(path), "--json"],
                    eager=False,
                )
            _step(
                figures,
                "scrub free text",
                [
                    "scrub_free_text",
                    "--study",
                    "scale",
                    "--jobs",
                    str(os.cpu_count() or 1),
                    "--json",
                ],
                eager=True,
            )
            for wave in range(1, WAVES + 1):
                _step(figures, f"clean w{wave}", ["clean_wave", str(ids[wave - 1]), "--json"], True)
            for sample in SAMPLES:
                for layout in LAYOUTS:
                    out = Path(directory) / f"{sample}-{layout}"
                    _step(
                        figures,
                        f"export {sample} {layout}",
                        [
                            "export_data",
                            "--study",
                            "scale",
                            "--format",
                            "csv",
                            "--sample",
                            sample,
                            "--layout",
                            layout,
                            "--out",
                            str(out),
                            "--json",
                        ],
                        eager=True,
                    )
    finally:
        if not keep:
            drop_database(server, DATABASE)
    return figures


def _wave_ids() -> list[int]:
    import psycopg

    with psycopg.connect(_bench_url()) as conn:
        rows = conn.execute("SELECT id FROM respondents_wave ORDER BY name").fetchall()
    return [int(row[0]) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="100000", help="respondents per wave, comma-separated")
    parser.add_argument("--million", action="store_true", help="100,000 and 1,000,000")
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"keep the last size's database ({DATABASE}) to profile a step on (dropped by default)",
    )
    options = parser.parse_args()
    sizes = [100_000, 1_000_000] if options.million else [int(s) for s in options.sizes.split(",")]
    results: dict[int, dict[str, dict[str, object]]] = {}
    for size in sizes:
        results[size] = run_size(size, keep=options.keep and size == sizes[-1])
        print(json.dumps({"bench": "scale", "respondents_per_wave": size, "steps": results[size]}))
    small, large = min(sizes), max(sizes)
    summary: dict[str, object] = {}
    for name in results[small]:
        entry: dict[str, object] = {
            f"{size}": {
                "seconds": results[size][name]["seconds"],
                "peak_mb": results[size][name]["peak_mb"],
            }
            for size in sizes
        }
        if large > small and all(results[n][name]["seconds"] for n in (small, large)):
            ratio = float(results[large][name]["seconds"]) / float(  # type: ignore[arg-type]
                results[small][name]["seconds"]  # type: ignore[arg-type]
            )
            entry["growth"] = round(ratio / (large / small), 2)
        summary[name] = entry
    print(json.dumps({"bench": "scale", "sizes": sizes, "summary": summary}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        setup()
    elif len(sys.argv) > 1 and sys.argv[1] == "step":
        step(sys.argv[2:])
    else:
        main()
