"""Benchmark: respondent page submits through gunicorn on PostgreSQL at 32 concurrent
clients, against a bare Django view doing one INSERT on the same stack (docs/design.md target: at
least half the bare view's throughput, p99 under 100 ms, zero answers lost).

Creates its own database (`pw_bench_submit` on the DATABASE_URL server, default
postgres://postgres@127.0.0.1:5432), migrates it, opens the test form's wave
(tests/respondents/form_helpers.py: four pages, ten answers) and starts Panelwave's gunicorn
(config/gunicorn_conf.py, DJANGO_DEBUG off, Redis cache when one answers) with the settings
of bench/web/bare_settings.py: Panelwave's own plus one bare view, so both sides are served
by the same processes, middleware and database server, and driven by the same client
(bench/web/client.py).

- bare: each client POSTs to the view that does one INSERT (autocommit), again and again;
- submit: each client is a respondent going through the form (consent, then the pages);
  when one finishes a new one starts. A submit is a page POST (CSRF token, token lookup,
  validation, save, 303) plus the GET of the next page (rendered). Starts (consent page and
  consent POST) happen inside the timed window too, as they do in fieldwork, so they take
  server time from the submits; `submit_share_of_requests` says how much.

The two alternate (bare, submit, submit, bare: a drift of the shared machine's load hits
both alike), after a warm-up of each. Afterwards every answer the server acknowledged is
looked for in the database, and every stored response is checked to be a whole set of
pages (bench/web/ledger.py). Prints one JSON line. Seconds per side: BENCH_SUBMIT_SECONDS
(default 20), clients: BENCH_SUBMIT_CLIENTS (default 32).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web.client import (
    Client,
    Deadline,
    Span,
    Tally,
    bare_insert,
    drive,
    ended_within,
    percentile_ms,
    respond,
)
from bench.web.ledger import Ledger
from bench.web.stack import (
    WEB_CONCURRENCY,
    CpuMeter,
    Stack,
    bench_database,
    create_bare_table,
    gunicorn,
)

DATABASE = "pw_bench_submit"
CLIENTS = int(os.environ.get("BENCH_SUBMIT_CLIENTS", "32"))
SECONDS = float(os.environ.get("BENCH_SUBMIT_SECONDS", "20"))
WARM_UP_SECONDS = 4.0
ORDER = ("bare", "submit", "submit", "bare")
# Client timeout: far above any expected latency, so a slow request is measured, not lost.
TIMEOUT = 30.0


def _phase(
    kind: str, seconds: float, stack: Stack, slug: str, meter: CpuMeter
) -> tuple[Tally, float, float, tuple[float, float]]:
    from tests.respondents.form_helpers import GOOD_PAGES

    def work(client: Client, deadline: Deadline) -> None:
        if kind == "bare":
            bare_insert(client, deadline)
        else:
            respond(client, slug, GOOD_PAGES, deadline, pause=0.05)

    meter.start()
    started = time.monotonic()
    deadline = Deadline(seconds)
    tally = drive(CLIENTS, deadline, work, port=stack.port, timeout=TIMEOUT)
    return tally, started, deadline.at, meter.stop()


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


@dataclass
class Side:
    """One side (bare or submit) over its measured phases."""

    all_phases: Tally = field(default_factory=Tally)  # warm-up included: for the ledger
    in_window: Tally = field(default_factory=Tally)  # what ended inside the timed windows
    seconds: float = 0.0
    operations: int = 0  # bare inserts or submits in the measured phases
    cpu_seconds: float = 0.0  # gunicorn workers + their PostgreSQL backends

    def add(self, tally: Tally, start: float, end: float, cpu: tuple[float, float]) -> None:
        self.in_window.bare += ended_within(tally.bare, start, end)
        self.in_window.submits += ended_within(tally.submits, start, end)
        self.in_window.requests += [r for r in tally.requests if start <= r[1] <= end]
        self.seconds += end - start
        self.operations += len(tally.bare) + len(tally.submits)
        self.cpu_seconds += sum(cpu)

    def spans(self) -> list[Span]:
        return self.in_window.bare + self.in_window.submits

    def cpu_ms(self) -> float:
        return round(1000 * self.cpu_seconds / max(1, self.operations), 2)


def measure(stack: Stack, slug: str) -> dict[str, Side]:
    sides = {"bare": Side(), "submit": Side()}
    with gunicorn(stack) as server:
        meter = CpuMeter(server.pid, stack.database_url)
        for kind in ("bare", "submit"):
            tally, *_window = _phase(kind, WARM_UP_SECONDS, stack, slug, meter)
            sides[kind].all_phases.merge(tally)
        for kind in ORDER:
            tally, start, end, cpu = _phase(kind, SECONDS / 2, stack, slug, meter)
            sides[kind].all_phases.merge(tally)
            sides[kind].add(tally, start, end, cpu)
    return sides


def report(sides: dict[str, Side], ledger: Ledger, bare_stored: int) -> dict[str, object]:
    bare, submit = sides["bare"], sides["submit"]
    bare_rps = _rate(len(bare.spans()), bare.seconds)
    submit_rps = _rate(len(submit.spans()), submit.seconds)
    p99 = percentile_ms(submit.spans(), 0.99)
    ratio = round(submit_rps / bare_rps, 3) if bare_rps else 0.0
    return {
        "bench": "submit",
        "clients": CLIENTS,
        "gunicorn_workers": WEB_CONCURRENCY,
        "seconds_per_side": round(submit.seconds, 1),
        "bare_rps": bare_rps,
        "bare_p50_ms": percentile_ms(bare.spans(), 0.5),
        "bare_p99_ms": percentile_ms(bare.spans(), 0.99),
        "submit_rps": submit_rps,
        "submit_p50_ms": percentile_ms(submit.spans(), 0.5),
        "submit_p99_ms": p99,
        "ratio_submit_to_bare": ratio,
        # Every HTTP request of the respondent flow (starts, each submit's POST and GET).
        "submit_flow_http_rps": _rate(len(submit.in_window.requests), submit.seconds),
        "submit_share_of_requests": round(
            2 * len(submit.spans()) / max(1, len(submit.in_window.requests)), 3
        ),
        # Server CPU per operation (a submit's share of starts included): the same ratio
        # measured in CPU, which holds when other work shares the cores.
        "bare_server_cpu_ms": bare.cpu_ms(),
        "submit_server_cpu_ms": submit.cpu_ms(),
        "cpu_ratio_submit_to_bare": round(bare.cpu_ms() / max(0.001, submit.cpu_ms()), 3),
        "bare_inserts_acknowledged": len(bare.all_phases.bare),
        "bare_inserts_stored": bare_stored,
        **ledger,
        "errors": dict(bare.all_phases.errors + submit.all_phases.errors),
        "target": "submit >= 0.5 x bare throughput, p99 < 100 ms, 0 answers lost",
        "meets_target": {
            "throughput": ratio >= 0.5,
            "p99": 0 < p99 < 100,
            "nothing_lost": ledger["answers_lost"] == 0 and ledger["responses_inconsistent"] == 0,
        },
    }


def run(stack: Stack) -> dict[str, object]:
    from django.db import connection

    from bench.web.bare_urls import BARE_TABLE
    from bench.web.ledger import count_answers
    from tests.respondents.form_helpers import make_wave

    create_bare_table(stack.database_url)
    wave = make_wave("bench")
    sides = measure(stack, wave.slug)
    ledger = count_answers(wave.pk, sides["submit"].all_phases.respondents)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BARE_TABLE}")
        (bare_stored,) = cursor.fetchone() or (0,)
    return report(sides, ledger, int(bare_stored))


def main() -> None:
    with bench_database(DATABASE) as stack:
        result = run(stack)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
