"""Reliability scenario: 200 concurrent respondents for 60 seconds through gunicorn on
PostgreSQL; every answer sent is stored.

Same stack as bench/submit.py (its own database `pw_bench_soak`, Panelwave's gunicorn with
DJANGO_DEBUG off), same client: each of the 200 client threads is a respondent going through
the test form, and starts a new one when it finishes. Far more clients than gunicorn has
workers, so requests queue in the listen backlog: latencies here are queueing, not a target.
Afterwards every answer the server acknowledged (303 to its page's POST) is looked for in the
database, and every stored response is checked to hold whole pages only
(bench/web/ledger.py). Prints one JSON line.
Clients: BENCH_SOAK_CLIENTS (default 200), seconds: BENCH_SOAK_SECONDS (default 60).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web.client import Client, Deadline, drive, percentile_ms, respond
from bench.web.stack import WEB_CONCURRENCY, Stack, bench_database, gunicorn

DATABASE = "pw_bench_soak"
CLIENTS = int(os.environ.get("BENCH_SOAK_CLIENTS", "200"))
SECONDS = float(os.environ.get("BENCH_SOAK_SECONDS", "60"))
# 200 requests queued behind a few workers wait seconds; the timeout is there to end a
# hung request, not to cut queueing short.
TIMEOUT = 60.0


def run(stack: Stack) -> dict[str, object]:
    from bench.web.ledger import count_answers
    from tests.respondents.form_helpers import GOOD_PAGES, make_wave

    wave = make_wave("soak")

    def work(client: Client, deadline: Deadline) -> None:
        respond(client, wave.slug, GOOD_PAGES, deadline, pause=0.2)

    with gunicorn(stack):
        tally = drive(CLIENTS, Deadline(SECONDS), work, port=stack.port, timeout=TIMEOUT)
    ledger = count_answers(wave.pk, tally.respondents)
    failed = sum(1 for _start, _end, status in tally.requests if status == 0 or status >= 500)
    nothing_lost = (
        ledger["answers_lost"] == 0
        and ledger["responses_missing"] == 0
        and ledger["responses_inconsistent"] == 0
    )
    return {
        "bench": "soak",
        "clients": CLIENTS,
        "seconds": SECONDS,
        "gunicorn_workers": WEB_CONCURRENCY,
        "requests": len(tally.requests),
        "requests_failed": failed,
        "submits": len(tally.submits),
        "submits_per_s": round(len(tally.submits) / SECONDS, 1),
        "submit_p50_ms": percentile_ms(tally.submits, 0.5),
        "submit_p99_ms": percentile_ms(tally.submits, 0.99),
        **ledger,
        # Baseline of this scenario: what was sent; 1.0 = every acknowledged answer stored.
        "stored_to_sent": round(
            (ledger["answers_sent"] - ledger["answers_lost"]) / max(1, ledger["answers_sent"]), 6
        ),
        "errors": dict(tally.errors),
        "target": "every answer sent is stored",
        "meets_target": nothing_lost,
    }


def main() -> None:
    with bench_database(DATABASE) as stack:
        result = run(stack)
    # A miss shows in "meets_target" rather than the exit status, so `make bench` goes on
    # to print the other figures.
    print(json.dumps(result))


if __name__ == "__main__":
    main()
