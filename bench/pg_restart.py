"""Reliability scenario: PostgreSQL restarted under load. Requests fail cleanly
(an error page, 5xx: never a dropped connection, a hang or a half-written answer set), and
service resumes by itself once PostgreSQL is back.

Starts a private PostgreSQL cluster (bench/web/cluster.py: /tmp/pw-bench-pg on a port of its
own, never the machine's 5432), migrates a database in it, and serves it with Panelwave's
gunicorn (DJANGO_DEBUG off, persistent connections with health checks as configured). Then
BENCH_RESTART_CLIENTS respondents (default 16) answer the test form, reloading their page
after a failed request as a person would; after STEADY seconds PostgreSQL is stopped (fast
shutdown: open transactions are rolled back), kept down DOWN seconds, started again, and the
load goes on AFTER seconds. Measured: the requests that failed and how (status, time to fail),
seconds from PostgreSQL accepting connections again to the first successful request, and,
in the database afterwards, every answer the server acknowledged (303) is stored and every
response holds whole pages only (bench/web/ledger.py). Prints one JSON line; the cluster is
stopped and removed at the end.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web.client import Client, Deadline, Tally, drive, respond
from bench.web.cluster import PrivateCluster, private_cluster
from bench.web.ledger import Ledger
from bench.web.stack import WEB_CONCURRENCY, Stack, bench_database, gunicorn

DATABASE = "pw_bench_restart"
CLIENTS = int(os.environ.get("BENCH_RESTART_CLIENTS", "16"))
STEADY = 8.0
DOWN = 3.0
AFTER = 15.0
# A failed request should fail fast: the client gives up on one after this long.
TIMEOUT = 10.0
SUCCESS = frozenset({200, 303})
# Service "resumes by itself" when nothing fails later than this after PostgreSQL is back.
RECOVERY_BOUND = 10.0


@dataclass(frozen=True)
class RestartRun:
    tally: Tally
    stopping: float  # when the fast shutdown began
    back: float  # when PostgreSQL accepted connections again


def _load_through_restart(cluster: PrivateCluster, stack: Stack, slug: str) -> RestartRun:
    from django.db import connections

    from tests.respondents.form_helpers import GOOD_PAGES

    def work(client: Client, deadline: Deadline) -> None:
        respond(client, slug, GOOD_PAGES, deadline, pause=0.1)

    # This process holds no connection across the restart; the ledger reconnects after.
    connections.close_all()
    deadline = Deadline(3600)
    result: dict[str, Tally] = {}
    runner = threading.Thread(
        target=lambda: result.update(
            tally=drive(CLIENTS, deadline, work, port=stack.port, timeout=TIMEOUT)
        ),
        daemon=True,
    )
    runner.start()
    time.sleep(STEADY)
    stopping = time.monotonic()
    cluster.stop("fast")
    time.sleep(DOWN)
    cluster.start()
    back = time.monotonic()
    time.sleep(AFTER)
    deadline.at = time.monotonic()
    runner.join(timeout=TIMEOUT + 60)
    if "tally" not in result:
        raise RuntimeError("load clients did not stop")
    return RestartRun(tally=result["tally"], stopping=stopping, back=back)


def _summary(tally: Tally, stopping: float, back: float) -> dict[str, Any]:
    ok = [(s, e) for s, e, status in tally.requests if status in SUCCESS]
    failed = [(s, e, status) for s, e, status in tally.requests if status not in SUCCESS]
    after = [e for s, e in ok if s >= back]
    first_success = round(min(after) - back, 2) if after else None
    last_failure = round(max(e for _s, e, _st in failed) - back, 2) if failed else None
    return {
        "requests": len(tally.requests),
        "requests_ok": len(ok),
        "requests_failed": len(failed),
        "failed_by_status": {
            str(status): sum(1 for *_t, st in failed if st == status)
            for status in sorted({st for *_t, st in failed})
        },
        "failed_in_flight_at_stop": sum(1 for s, _e, _st in failed if s < stopping <= _e),
        # Failures over before the shutdown began are not the restart's: a client timeout
        # here is the load itself (cold workers on a busy machine), not PostgreSQL.
        "failed_before_stop": sum(1 for _s, e, _st in failed if e < stopping),
        "slowest_failure_ms": round(1000 * max((e - s for s, e, _st in failed), default=0.0), 1),
        "first_success_after_back_s": first_success,
        "last_failure_after_back_s": last_failure,
        "requests_ok_after_back": len(after),
        # Status 0: the connection dropped or timed out; 4xx: an answer that was not a
        # server error (a refused token or form). Neither is a clean failure.
        "unclean_failures": sum(1 for *_t, st in failed if st == 0 or st < 500),
    }


def _verdict(summary: dict[str, Any], ledger: Ledger) -> dict[str, bool]:
    last = summary["last_failure_after_back_s"]
    return {
        "fails_cleanly": summary["unclean_failures"] == 0,
        "resumes_by_itself": summary["first_success_after_back_s"] is not None
        and (last is None or last < RECOVERY_BOUND),
        "nothing_lost_or_half_written": ledger["answers_lost"] == 0
        and ledger["responses_missing"] == 0
        and ledger["responses_inconsistent"] == 0,
    }


def run() -> dict[str, object]:
    with private_cluster() as cluster, bench_database(DATABASE, server=cluster.url) as stack:
        from bench.web.ledger import count_answers
        from tests.respondents.form_helpers import make_wave

        wave = make_wave("restart")
        with gunicorn(stack):
            load = _load_through_restart(cluster, stack, wave.slug)
        summary = _summary(load.tally, load.stopping, load.back)
        ledger = count_answers(wave.pk, load.tally.respondents)
    verdict = _verdict(summary, ledger)
    return {
        "bench": "pg_restart",
        "clients": CLIENTS,
        "gunicorn_workers": WEB_CONCURRENCY,
        "postgres_down_s": DOWN,
        **summary,
        **ledger,
        "errors": dict(load.tally.errors),
        "target": "failures are 5xx pages, service resumes by itself, nothing lost or half-written",
        "meets_target": verdict,
        "meets_all": all(verdict.values()),
    }


def main() -> None:
    print(json.dumps(run()))


if __name__ == "__main__":
    main()
