"""Benchmark: the real anonymised export in every format, end to end, against PostgreSQL's own
`COPY ... TO STDOUT` of the same rows in the same run (target: each format within 2x the COPY
time with the default anonymisation and free text included; peak memory under 2 GB).

bench/export.py times the file writers alone on a flat table. This one times what a
researcher waits for: responses stored as Panelwave stores them (one JSON document of 200
answers per response, respondents_response), read by exports.assembly.build_dataset
(sampling, the merge of versions by item name, k-anonymity on two quasi-identifiers,
pseudonyms, missing codes, columns) and written by exports.writers, in chunks.

Creates its own database (`pw_bench_pipeline` on the DATABASE_URL server, default
postgres://postgres@127.0.0.1:5432), migrates it, builds a study whose version has 200
select_one items on 10 pages (plus a quasi-identifier birth year and country, and ten
free-text questions answered by three respondents in ten) and one open wave, inserts N
completed responses with generate_series and scrubs their free text once, as completion
does (not timed). Each format is exported with free text released (scrubbed, the default)
and withheld. Each step runs in a child process so its peak memory (ru_maxrss) is its own. Rows: BENCH_PIPELINE_ROWS
(default 100,000: the JSON table for 1,000,000 is about 4 GB and takes longer to make
than to export; the figures scale linearly, see bench/README.md).
"""

from __future__ import annotations

import json
import os
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

ITEMS = 200
PAGES = 10
TEXTS = 10
FORMATS = ("csv", "sav", "dta", "parquet", "rds")
FREE_TEXT = ("scrub", "withhold")
# BENCH_PIPELINE_DATABASE names another database, so two people can bench at once.
DATABASE = os.environ.get("BENCH_PIPELINE_DATABASE", "pw_bench_pipeline")


def _bench_url() -> str:
    return database_url(server_url(), DATABASE)


def _django() -> None:
    # Embedded settings on the bench database: eager Celery, no Redis.
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    setup_django({"DATABASE_URL": _bench_url()})


def prepare(rows: int) -> None:
    server = server_url()
    require_postgres(server)
    create_database(server, DATABASE)
    env = {**os.environ, "DATABASE_URL": _bench_url()}
    env.pop("REDIS_URL", None)
    migrate(env)
    subprocess.run([sys.executable, __file__, "setup", str(rows)], check=True)


def setup(rows: int) -> None:
    _django()
    from django.db import connection

    from respondents.services.waves import open_wave
    from tests.builders import build_version, make_study

    agree = [(str(code), {"en": f"Agree {code}", "ru": f"Согласен {code}"}) for code in range(1, 6)]
    countries = [(c, {"en": c, "ru": c}) for c in ("ge", "am", "rs", "tr", "de", "other")]
    pages = [
        {
            "name": "about",
            "questions": [
                {"name": "birth_year", "type": "integer", "privacy": "quasi"},
                {
                    "name": "country",
                    "type": "select_one",
                    "choices": "countries",
                    "privacy": "quasi",
                },
            ],
        }
    ]
    per_page = ITEMS // PAGES
    for p in range(PAGES):
        items = range(p * per_page, (p + 1) * per_page)
        questions = [{"name": f"q{j:03d}", "type": "select_one", "choices": "agree"} for j in items]
        pages.append({"name": f"page{p}", "questions": questions})
    pages.append(
        {
            "name": "open",
            "questions": [{"name": f"t{j:02d}", "type": "text"} for j in range(TEXTS)],
        }
    )
    study = make_study("bench")
    version = build_version(study, pages, choices={"agree": agree, "countries": countries})
    wave = open_wave(study, version, "w1")
    # (%% is the modulo: the query has parameters.)
    # Codes 1..5 with one item in ten left empty; a birth year over 60 years; six countries.
    pairs = [
        f"'q{j:03d}', CASE WHEN (g * {j + 7}) %% 10 = 0 THEN NULL "
        f"ELSE (1 + (g * {j + 3} + g / 7) %% 5)::text END"
        for j in range(ITEMS)
    ]
    # jsonb_build_object takes at most 100 arguments: 40 pairs a call, concatenated.
    # Free text in three answers of ten, each its own sentence.
    pairs += [
        f"'t{j:02d}', CASE WHEN (g * {j + 3}) %% 10 < 3 THEN 'Answer ' || g || ' to "
        f"question {j}: life here is hard, prices went up and work is scarce' END"
        for j in range(TEXTS)
    ]
    objects = " || ".join(
        f"jsonb_strip_nulls(jsonb_build_object({', '.join(pairs[i : i + 40])}))"
        for i in range(0, len(pairs), 40)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO respondents_response (wave_id, channel, language, status, answers, "
            "paradata, current_page, fingerprint, honeypot_filled, started_at, completed_at, "
            "updated_at) "
            f"SELECT %s, 'tg', 'ru', 'completed', {objects} || jsonb_build_object("
            "'birth_year', 1950 + g %% 60, 'country', "
            "(ARRAY['ge','am','rs','tr','de','other'])[1 + g %% 6]), "
            "'{}'::jsonb, 'end', md5(g::text), false, now(), now(), now() "
            "FROM generate_series(1, %s) AS g",
            [wave.pk, rows],
        )
        cursor.execute("VACUUM ANALYZE respondents_response")
    from respondents.freetext.services import scrub_responses
    from respondents.models import Response

    scrub_responses(Response.objects.values_list("pk", flat=True))


def baseline() -> int:
    import psycopg

    size = 0
    query = (
        "COPY (SELECT id, status, started_at, completed_at, answers "
        "FROM respondents_response) TO STDOUT"
    )
    with (
        psycopg.connect(_bench_url()) as conn,
        conn.cursor() as cursor,
        cursor.copy(query) as copy,
    ):
        for block in copy:
            size += len(block)
    return size


def export(fmt: str, free_text: str, directory: str) -> int:
    _django()
    from exports.anonymise.pseudonyms import new_export_key
    from exports.assembly import build_dataset
    from exports.dataset import ExportSpec
    from exports.writers import get_writer
    from respondents.models import Wave

    wave = Wave.objects.get(name="w1")
    spec = ExportSpec(
        study_id=wave.study_id,
        wave_ids=(wave.pk,),
        sample="combined",
        layout="long",
        k=5,
        language="en",
        free_text=free_text,  # type: ignore[arg-type]  # one of FREE_TEXT
        pseudonym_key=new_export_key(),
    )
    dataset = build_dataset(spec)
    written = get_writer(fmt)(dataset, Path(directory), basename="bench")
    return int(written.rows)


def child(step: str) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        if step == "copy":
            out = baseline()
        else:
            fmt, free_text = step.split(":")
            out = export(fmt, free_text, directory)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    # The process's own CPU time (not PostgreSQL's): steadier than wall time on a shared
    # machine, where other sessions' load stretches every wall-clock figure.
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "peak_mb": round(peak_mb),
                "out": out,
            }
        )
    )


def main() -> None:
    rows = int(os.environ.get("BENCH_PIPELINE_ROWS", "100000"))
    started = time.perf_counter()
    # BENCH_PIPELINE_REUSE=1 times the database a run with BENCH_PIPELINE_KEEP=1 left.
    if os.environ.get("BENCH_PIPELINE_REUSE") != "1":
        prepare(rows)
    prepare_seconds = time.perf_counter() - started
    steps = ["copy", *(f"{fmt}:{text}" for text in FREE_TEXT for fmt in FORMATS)]
    results = {}
    for step in steps:
        done = subprocess.run(
            [sys.executable, __file__, step], check=False, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"export_pipeline: step {step} failed:\n{done.stderr[-3000:]}")
        results[step] = json.loads(done.stdout.strip().splitlines()[-1])
    copy = results["copy"]["seconds"]
    print(
        json.dumps(
            {
                "bench": "export_pipeline",
                "rows": rows,
                "items": ITEMS,
                "free_text_items": TEXTS,
                "prepare_seconds": round(prepare_seconds, 1),
                "copy_seconds": copy,
                "seconds": {s: r["seconds"] for s, r in results.items() if s != "copy"},
                # Time relative to COPY: 1.0 = as fast; the target is at most 2.
                "times_copy": {
                    s: round(r["seconds"] / copy, 2) for s, r in results.items() if s != "copy"
                },
                "cpu_seconds": {s: r["cpu_seconds"] for s, r in results.items()},
                "rows_written": {s: r["out"] for s, r in results.items() if s != "copy"},
                "peak_mb": {s: r["peak_mb"] for s, r in results.items()},
            }
        )
    )
    if os.environ.get("BENCH_PIPELINE_KEEP") != "1":
        drop_database(server_url(), DATABASE)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    elif len(sys.argv) > 1:
        child(sys.argv[1])
    else:
        main()
