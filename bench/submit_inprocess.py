"""Benchmark: the respondent flow of bench/submit.py driven through Django's test client in
this process, without HTTP, gunicorn or the other clients: the CPU time of this process
per kind of request (consent page, consent POST, page GET, page POST), on PostgreSQL.

The database's own CPU and the network are left out, so this shows what a change to the
Python side of a request saves, with less of the shared machine's noise than submit.py.
Creates its own database (`pw_bench_submit_inprocess`), opens the test form's wave
(tests/respondents/form_helpers.py: four pages, ten answers), sends 5 respondents through
to warm up and then BENCH_INPROCESS_RESPONDENTS (default 60). Prints one JSON line of
milliseconds per request of each kind and per respondent.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web.client import _hidden, page_fields
from bench.web.stack import bench_database

DATABASE = "pw_bench_submit_inprocess"
RESPONDENTS = int(os.environ.get("BENCH_INPROCESS_RESPONDENTS", "60"))
WARM_UP = 5


class Meter:
    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.count: defaultdict[str, int] = defaultdict(int)

    def __call__(self, kind: str, request: Callable[..., Any], *args: Any) -> Any:
        started = time.process_time()
        reply = request(*args)
        self.seconds[kind] += time.process_time() - started
        self.count[kind] += 1
        return reply


def respondent(slug: str, meter: Meter) -> None:
    from django.test import Client

    from tests.respondents.form_helpers import GOOD_PAGES

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    link = f"/s/{slug}/?src=bench"
    consent = meter("consent GET", client.get, link)
    csrf = _hidden(consent.content.decode(), "csrfmiddlewaretoken") or ""
    started = meter("consent POST", client.post, link, {"csrfmiddlewaretoken": csrf})
    if started.status_code != 303:
        raise RuntimeError(f"consent POST answered {started.status_code}")
    url = started["Location"]
    page = meter("page GET", client.get, url)
    while (name := _hidden(page.content.decode(), "_pw_page")) is not None:
        data: dict[str, list[str]] = defaultdict(list)
        for key, value in page_fields(page.content.decode(), GOOD_PAGES[name]):
            data[key].append(value)
        posted = meter("page POST", client.post, url, data)
        if posted.status_code != 303:
            raise RuntimeError(f"page {name} POST answered {posted.status_code}")
        page = meter("page GET", client.get, posted["Location"])


def main() -> None:
    with bench_database(DATABASE):
        from django.conf import settings
        from django.test.utils import setup_test_environment

        from tests.respondents.form_helpers import make_wave

        setup_test_environment()
        settings.ALLOWED_HOSTS = ["*"]
        slug = make_wave().slug
        for _ in range(WARM_UP):
            respondent(slug, Meter())
        meter = Meter()
        for _ in range(RESPONDENTS):
            respondent(slug, meter)
        figures = {
            kind: round(1000 * meter.seconds[kind] / meter.count[kind], 2) for kind in meter.seconds
        }
        figures["per respondent"] = round(1000 * sum(meter.seconds.values()) / RESPONDENTS, 1)
        print(json.dumps({"respondents": RESPONDENTS, "cpu_ms": figures}))


if __name__ == "__main__":
    main()
