"""Benchmark: `import_responses` against PostgreSQL's own `COPY ... FROM STDIN` of the same CSV
into a staging table of text columns (docs/design.md target: the import within 4x of COPY).

Creates its own database (`pw_bench_import` on the DATABASE_URL server, default
postgres://postgres@127.0.0.1:5432), migrates it, builds a study whose version has 37 items
on 6 pages like a real wave (select_one batteries, select_multiple, integers with
constraints, decimals, dates, four free-text questions, a page and items shown by
`relevant`, a constraint reading another answer), and writes a seeded CSV of N rows
(BENCH_IMPORT_ROWS, default 100,000; `--rows N` too) with 1% bad rows. Each step runs in a
child process so its peak memory (ru_maxrss) is its own:

- `copy`: CREATE TABLE of text columns, COPY FROM STDIN (FORMAT csv, HEADER) of the file;
- `import`: import_responses into a fresh wave (scrub tasks queued, not run: the scrubber
  is timed by bench/scrub_corpus.py);
- `row-by-row` (with `--row-by-row`): the same file through the row-by-row reading that
  SQLite uses, on a fresh wave, for the side-by-side with the code before.

With `--roster` (or BENCH_IMPORT_ROSTER=1) the form has a household roster too (an XLSForm
repeat, up to 6 entries: age with a constraint, relation, an item shown by `relevant`) and
the file its numbered columns for 3 entries, each row filling 0 to 3 of them: such a file
is checked row by row (import_copy.py) and loaded with COPY.

Prints one JSON line with the seconds, the ratio import / COPY and the peak memory.
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

from bench.web.stack import (
    create_database,
    database_url,
    drop_database,
    migrate,
    require_postgres,
    server_url,
    setup_django,
)

# On a machine shared by several people each may name their own (BENCH_IMPORT_DATABASE).
DATABASE = os.environ.get("BENCH_IMPORT_DATABASE", "pw_bench_import")
CSV_PATH = Path(os.environ.get("BENCH_IMPORT_DIR", tempfile.gettempdir())) / "pw_bench_import.csv"
AGREE = [str(code) for code in range(1, 6)]
COUNTRIES = ["ge", "am", "rs", "tr", "de", "kz", "other"]
MEDIA = ["tg", "yt", "web", "tv", "radio"]
WORDS = [
    "мы",
    "уехали",
    "в",
    "тбилиси",
    "и",
    "работаем",
    "удалённо",
    "new",
    "job",
    "visa",
    "rent",
    "school",
    "friends",
]


def _pages() -> list[dict[str, object]]:
    battery = [
        {"name": f"trust_{i}", "type": "select_one", "choices": "agree"} for i in range(1, 11)
    ]
    values = [
        {"name": f"value_{i}", "type": "select_one", "choices": "agree"} for i in range(1, 11)
    ]
    return [
        {
            "name": "about",
            "questions": [
                {
                    "name": "age",
                    "type": "integer",
                    "required": True,
                    "constraint": ". >= 18 and . <= 100",
                },
                {"name": "country", "type": "select_one", "choices": "countries"},
                {"name": "born", "type": "date"},
                {"name": "left_on", "type": "date"},
                {"name": "household", "type": "integer", "constraint": ". <= 20"},
            ],
        },
        {"name": "trust", "questions": battery},
        {"name": "values", "questions": values},
        {
            "name": "media",
            "questions": [
                {"name": "sources", "type": "select_multiple", "choices": "media"},
                {"name": "hours", "type": "decimal", "constraint": ". <= 24"},
                {"name": "tg_detail", "type": "text", "relevant": "selected(${sources}, 'tg')"},
                {"name": "news", "type": "select_multiple", "choices": "media"},
                {"name": "trust_media", "type": "select_multiple", "choices": "media"},
            ],
        },
        {
            "name": "abroad",
            "relevant": "${country} != 'ge'",
            "questions": [
                {"name": "years", "type": "integer", "constraint": ". <= ${age}"},
                {"name": "income", "type": "decimal"},
                {"name": "plans", "type": "text"},
            ],
        },
        {
            "name": "open",
            "questions": [
                {"name": "rooms", "type": "integer"},
                {"name": "worries", "type": "text"},
                {"name": "hopes", "type": "text"},
            ],
        },
    ]


ROSTER = os.environ.get("BENCH_IMPORT_ROSTER", "") == "1" or "--roster" in sys.argv
ROSTER_ENTRIES = 3
RELATIONS = ["partner", "child", "parent", "other"]


def _roster_page() -> dict[str, object]:
    return {
        "name": "people",
        "questions": [
            {"name": "p_age", "type": "integer", "constraint": ". <= 110"},
            {"name": "p_rel", "type": "select_one", "choices": "relations"},
            {"name": "p_school", "type": "text", "relevant": "${p_age} < 18"},
        ],
    }


def _roster_columns() -> list[str]:
    items = ["p_age", "p_rel", "p_school"]
    return [f"{item}_{n}" for n in range(1, ROSTER_ENTRIES + 1) for item in items]


def _roster_cells(chance: random.Random) -> dict[str, str]:
    cells = dict.fromkeys(_roster_columns(), "")
    for n in range(1, chance.randint(0, ROSTER_ENTRIES) + 1):
        age = chance.randint(0, 90)
        cells[f"p_age_{n}"] = str(age)
        cells[f"p_rel_{n}"] = chance.choice(RELATIONS)
        if age < 18 and chance.random() < 0.5:
            cells[f"p_school_{n}"] = f"school {chance.randint(1, 200)}"
    return cells


def _choices() -> dict[str, list[tuple[str, dict[str, str]]]]:
    def labelled(names: list[str]) -> list[tuple[str, dict[str, str]]]:
        return [(name, {"en": name, "ru": name}) for name in names]

    return {
        "agree": labelled(AGREE),
        "countries": labelled(COUNTRIES),
        "media": labelled(MEDIA),
        "relations": labelled(RELATIONS),
    }


HEADER = [
    "source_id",
    "panel_key",
    "started_at",
    "completed_at",
    "fingerprint",
    "time_about",
    "time_trust",
    *[q["name"] for page in _pages() for q in page["questions"]],  # type: ignore[attr-defined]
    *(_roster_columns() if ROSTER else []),
]


def _row(chance: random.Random, number: int) -> list[str]:
    def text() -> str:
        return " ".join(chance.choices(WORDS, k=chance.randint(3, 12)))

    def some(names: list[str]) -> str:
        return " ".join(n for n in names if chance.random() < 0.3)

    age = chance.randint(18, 80)
    country = chance.choice(COUNTRIES)
    sources = some(MEDIA)
    abroad = country != "ge"
    cells = {
        "source_id": f"ext-{number}",
        "panel_key": f"key-{number % (number // 3 + 1)}" if number % 4 else "",
        "started_at": f"2026-03-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00+00:00",
        "completed_at": ""
        if number % 10 == 0
        else f"2026-03-{1 + number % 28:02d}T{number % 24:02d}:59:00+00:00",
        "fingerprint": f"device-{number % 5000}",
        "time_about": f"{chance.randint(5, 300)}",
        "time_trust": f"{chance.randint(5, 300)},{chance.randint(0, 9)}",
        "age": str(age),
        "country": country,
        "born": f"{2026 - age}-{chance.randint(1, 12):02d}-{chance.randint(1, 28):02d}",
        "left_on": f"2022-{chance.randint(1, 12):02d}-{chance.randint(1, 28):02d}",
        "household": str(chance.randint(1, 8)),
        **{f"trust_{i}": chance.choice(AGREE) for i in range(1, 11)},
        **{f"value_{i}": chance.choice(["", *AGREE]) for i in range(1, 11)},
        "sources": sources,
        "hours": f"{chance.randint(0, 12)}.{chance.randint(0, 9)}",
        "tg_detail": text() if "tg" in sources.split() else "",
        "news": some(MEDIA),
        "trust_media": some(MEDIA),
        "years": str(chance.randint(0, 4)) if abroad else "",
        "income": f"{chance.randint(100, 9000)}" if abroad else "",
        "plans": text() if abroad else "",
        "rooms": str(chance.randint(1, 5)),
        "worries": text(),
        "hopes": text() if chance.random() < 0.5 else "",
    }
    if ROSTER:
        cells.update(_roster_cells(chance))
    if chance.random() < 0.01:  # one row in a hundred refused, for a reason of its kind
        cells[chance.choice(["age", "country", "hours", "born"])] = "??"
    return [cells[name] for name in HEADER]


def write_csv(rows: int) -> None:
    chance = random.Random(20)
    with CSV_PATH.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(rows):
            writer.writerow(_row(chance, number))


def _bench_url() -> str:
    return database_url(server_url(), DATABASE)


def _django() -> None:
    # Scrub tasks are queued on an in-memory broker and not run.
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    setup_django({"DATABASE_URL": _bench_url()})


def prepare(rows: int) -> None:
    server = server_url()
    require_postgres(server)
    create_database(server, DATABASE)
    env = {**os.environ, "DATABASE_URL": _bench_url()}
    env.pop("REDIS_URL", None)
    migrate(env)
    subprocess.run([sys.executable, __file__, "setup"], check=True)
    write_csv(rows)


def setup() -> None:
    _django()
    from surveys.models import Page
    from surveys.services.questionnaires import publish_version
    from tests.builders import build_version, make_study

    pages = [*_pages(), _roster_page()] if ROSTER else _pages()
    version = build_version(make_study("bench"), pages, choices=_choices(), publish=False)
    if ROSTER:
        Page.objects.filter(version=version, name="people").update(repeat={"min": 0, "max": 6})
    publish_version(version.pk)


def copy_baseline() -> dict[str, object]:
    import psycopg

    columns = ", ".join(f'"{name}" text' for name in HEADER)
    with psycopg.connect(_bench_url()) as conn, conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS bench_stage; CREATE TABLE bench_stage ({columns})")
        conn.commit()
        started = time.perf_counter()
        with (
            cursor.copy("COPY bench_stage FROM STDIN (FORMAT csv, HEADER)") as copy,
            CSV_PATH.open("rb") as handle,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_stage")
        (count,) = cursor.fetchone() or (0,)
        cursor.execute("DROP TABLE bench_stage")
    return {"seconds": seconds, "rows": count}


def run_import(row_by_row: bool) -> dict[str, object]:
    _django()
    from django.db import connection

    from respondents.models import Wave
    from respondents.services.import_responses import import_responses
    from respondents.services.waves import open_wave
    from surveys.models import QuestionnaireVersion

    version = QuestionnaireVersion.objects.get()
    wave = open_wave(version.questionnaire.study, version, f"w{Wave.objects.count() + 1}")
    if row_by_row:
        # The reading SQLite uses (and PostgreSQL used before the COPY loader).
        connection.vendor = "row-by-row"
    started = time.perf_counter()
    result = import_responses(wave, CSV_PATH)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "imported": result.imported, "rejected": result.rejected}


def child(step: str) -> None:
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    out = copy_baseline() if step == "copy" else run_import(step == "row-by-row")
    after = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = round(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, 2)
    out["peak_mb"] = round(after.ru_maxrss / 1024)
    print(json.dumps(out))


def _step(step: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, step], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"imports: step {step} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rows", type=int, default=int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
    )
    parser.add_argument("--row-by-row", action="store_true", help="also time the old reading")
    parser.add_argument("--roster", action="store_true", help="a roster and its columns too")
    options = parser.parse_args()
    # The child steps (setup, import) read the form's shape from the environment.
    os.environ["BENCH_IMPORT_ROSTER"] = "1" if ROSTER else "0"
    prepare(options.rows)
    try:
        steps = ["copy", "import", "copy"] + (["row-by-row"] if options.row_by_row else [])
        results: dict[str, list[dict[str, object]]] = {}
        for step in steps:
            results.setdefault(step, []).append(_step(step))
    finally:
        drop_database(server_url(), DATABASE)
        CSV_PATH.unlink(missing_ok=True)
    # COPY before and after the import, the faster taken: the machine is shared.
    copy = min(float(r["seconds"]) for r in results["copy"])  # type: ignore[arg-type]
    imported = results["import"][0]
    summary: dict[str, object] = {
        "bench": "imports",
        "rows": options.rows,
        "roster": ROSTER,
        "columns": len(HEADER),
        "file_mb": None,
        "copy_seconds": round(copy, 2),
        "import_seconds": round(float(imported["seconds"]), 2),  # type: ignore[arg-type]
        # The target: at most 4.
        "import_vs_copy": round(float(imported["seconds"]) / copy, 2),  # type: ignore[arg-type]
        "import": imported,
        "copy_runs": results["copy"],
    }
    if "row-by-row" in results:
        old = results["row-by-row"][0]
        summary["row_by_row"] = old
        summary["row_by_row_vs_copy"] = round(float(old["seconds"]) / copy, 2)  # type: ignore[arg-type]
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        setup()
    elif len(sys.argv) > 1 and sys.argv[1] in ("copy", "import", "row-by-row"):
        child(sys.argv[1])
    else:
        main()
