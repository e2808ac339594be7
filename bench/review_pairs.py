"""Benchmark: a fieldwork manager reviews 200 suggested returner pairs in the workspace, in
Chromium, and what that costs a person.

Two studies' worth of candidates (200 pairs each, six stable items; 70% are the same person
with at most one answer drifted, 30% look-alikes with two to four answers different; scores
as the linker gives them) are reviewed through a live server:

- the page as it is (respondents/workspace/linkage.py): a page of 50 pairs is one form; the
  reviewer clicks "Same person" or "Not the same" on each pair and saves the page once;
- side by side, the page as it was before: one form per pair, so every decision is a POST
  and the page of pairs loads again (the same server work, driven the same way).

Each run counts the reviewer's clicks and the page loads, and times the loads in Chromium.
Then the time a person needs is estimated with the Keystroke-Level Model (Card, Moran and
Newell, 1980; operator times as in their paper): per pair one mental decision (M, 1.35 s),
one look at the card (a fixation, 0.3 s) and two per highlighted row to compare its two
answers, one scroll to the next card (0.4 s, taken as a single wheel flick) and one point
and click (P + B, 1.1 + 0.2 s); per page one more point and click and the measured load.
Also with "accept all at 0.9 or above" (one click, after a glance of 1 s per pair) and the
remaining pairs by hand. This is a model of a practised reviewer, not a timed person.

Prints one JSON line. Needs PostgreSQL (DATABASE_URL; a test database is made and dropped),
Chromium at /usr/bin/chromium and Playwright.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

PAIRS = 200
SAME_SHARE = 0.7
SUGGESTED = 0.9
# Keystroke-Level Model operator times (seconds).
MENTAL = 1.35
FIXATION = 0.3
POINT_CLICK = 1.1 + 0.2
SCROLL = 0.4
GLANCE = 1.0
TARGET_MINUTES = 15

STABLE = {"stable": "yes"}
ITEMS = ("birth_year", "sex", "education", "home_region", "departure", "country")
PAGES = [
    {
        "name": "about",
        "questions": [
            {"name": "birth_year", "type": "integer", "extra": STABLE},
            {"name": "sex", "type": "select_one", "choices": "sexes", "extra": STABLE},
            {"name": "education", "type": "select_one", "choices": "levels", "extra": STABLE},
            {"name": "home_region", "type": "select_one", "choices": "regions", "extra": STABLE},
            {"name": "departure", "type": "integer", "extra": STABLE},
            {"name": "country", "type": "select_one", "choices": "countries", "extra": STABLE},
        ],
    }
]
REGIONS = ("msk", "spb", "ural", "volga", "south", "siberia")
COUNTRIES = ("ge", "am", "kz", "rs", "tr", "de", "il")
CHOICES = {
    "sexes": [(s, {"en": s}) for s in ("f", "m")],
    "levels": [(str(n), {"en": str(n)}) for n in range(1, 5)],
    "regions": [(r, {"en": r}) for r in REGIONS],
    "countries": [(c, {"en": c}) for c in COUNTRIES],
}


def _person(rng: random.Random) -> dict[str, Any]:
    return {
        "birth_year": rng.randint(1960, 2004),
        "sex": rng.choice("fm"),
        "education": str(rng.randint(1, 4)),
        "home_region": rng.choice(REGIONS),
        "departure": rng.randint(1, 36),
        "country": rng.choice(COUNTRIES),
    }


def _changed(rng: random.Random, answers: dict[str, Any], count: int) -> dict[str, Any]:
    later = dict(answers)
    for item in rng.sample(ITEMS, count):
        if item in ("birth_year", "departure"):
            later[item] = answers[item] + rng.choice((-1, 1))
        elif item == "sex":
            later[item] = "m" if answers[item] == "f" else "f"
        elif item == "education":
            later[item] = str(min(4, int(answers[item]) + 1))
        else:
            options = REGIONS if item == "home_region" else COUNTRIES
            later[item] = rng.choice([o for o in options if o != answers[item]])
    return later


def _build(rng: random.Random) -> tuple[Any, list[Any], dict[int, bool], Any]:
    from respondents.models import ResponseLink
    from tests.builders import build_version, make_study
    from tests.respondents.fieldwork import add_response, make_wave
    from tests.surveys.personas import make_team

    study = make_study("review")
    version = build_version(study, PAGES, choices=CHOICES)
    first = make_wave(study, version, "Wave 1")
    later_waves = [make_wave(study, version, name) for name in ("Wave 2", "Wave 3")]
    truth: dict[int, bool] = {}
    for wave in later_waves:
        for _ in range(PAIRS):
            same = rng.random() < SAME_SHARE
            answers = _person(rng)
            earlier = add_response(first, answers=answers)
            drift = rng.choice((0, 0, 1)) if same else rng.randint(2, 4)
            later = add_response(wave, answers=_changed(rng, answers, drift))
            score = rng.uniform(0.88, 0.999) if same else rng.uniform(0.5, 0.93)
            link = ResponseLink.objects.create(
                response=later,
                earlier_response=earlier,
                probability=round(score, 4),
                second_probability=round(rng.uniform(0, 1 - score), 4),
            )
            truth[link.pk] = same
    team = make_team(study, make_study("elsewhere"))
    return study, later_waves, truth, team.manager


class Counter:
    """Page loads of the main frame and the time from request to load of each."""

    def __init__(self, page: Any) -> None:
        self.loads = 0
        self.seconds: list[float] = []
        self._started = time.perf_counter()
        page.on("load", self._loaded)
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if request.is_navigation_request():
            self._started = time.perf_counter()

    def _loaded(self, _page: Any) -> None:
        self.loads += 1
        self.seconds.append(time.perf_counter() - self._started)


def _review_batch(page: Any, url: str, truth: dict[int, bool]) -> dict[str, Any]:
    counter = Counter(page)
    clicks = 0
    differing: list[int] = []
    started = time.perf_counter()
    page.goto(url)
    while page.locator("li.pair").count():
        for card in page.locator("li.pair").all():
            link_id = int(card.get_attribute("data-link") or 0)
            differing.append(card.locator("tr.differs").count())
            label = "Same person" if truth[link_id] else "Not the same"
            card.get_by_text(label, exact=True).click()
            clicks += 1
        with page.expect_navigation():
            page.get_by_role("button", name="Save the decisions on this page").click()
        clicks += 1
    return _figures(counter, clicks, time.perf_counter() - started, differing)


def _review_one_by_one(
    page: Any, url: str, decide_url: str, truth: dict[int, bool]
) -> dict[str, Any]:
    """The page as it was: each decision its own POST, then the page of pairs again."""
    counter = Counter(page)
    clicks = 0
    differing: list[int] = []
    started = time.perf_counter()
    page.goto(url)
    while page.locator("li.pair").count():
        card = page.locator("li.pair").first
        link_id = int(card.get_attribute("data-link") or 0)
        differing.append(card.locator("tr.differs").count())
        token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
        decision = "accept" if truth[link_id] else "reject"
        with page.expect_navigation():
            # The old page's per-pair form, posted as its button did.
            page.evaluate(
                """([action, token, link, decision]) => {
                    const form = document.createElement('form');
                    form.method = 'post'; form.action = action;
                    for (const [name, value] of [['csrfmiddlewaretoken', token],
                            ['link', link], ['decision', decision]]) {
                        const input = document.createElement('input');
                        input.type = 'hidden'; input.name = name; input.value = value;
                        form.appendChild(input);
                    }
                    document.body.appendChild(form); form.submit();
                }""",
                [decide_url, token, str(link_id), decision],
            )
        clicks += 1
    return _figures(counter, clicks, time.perf_counter() - started, differing)


def _figures(counter: Counter, clicks: int, seconds: float, differing: list[int]) -> dict[str, Any]:
    pairs = len(differing)
    mean_load = sum(counter.seconds) / max(len(counter.seconds), 1)
    return {
        "pairs": pairs,
        "clicks": clicks,
        "clicks_per_pair": round(clicks / pairs, 3),
        "page_loads": counter.loads,
        "page_loads_per_pair": round(counter.loads / pairs, 3),
        "mean_load_s": round(mean_load, 3),
        "machine_seconds": round(seconds, 1),
        "differing_rows_mean": round(sum(differing) / pairs, 2),
        "_differing": differing,
    }


def _person_minutes(figures: dict[str, Any], scores: list[float]) -> dict[str, float]:
    differing = figures["_differing"]
    per_page = POINT_CLICK + figures["mean_load_s"]
    by_hand = sum(MENTAL + FIXATION + 2 * FIXATION * d + SCROLL + POINT_CLICK for d in differing)
    by_hand += figures["page_loads"] * per_page
    # Accept-above first: a glance at each high pair, one click; the rest by hand.
    high = [d for d, s in zip(differing, scores, strict=True) if s >= SUGGESTED]
    low = [d for d, s in zip(differing, scores, strict=True) if s < SUGGESTED]
    batch = len(high) * GLANCE + POINT_CLICK + per_page
    batch += sum(MENTAL + FIXATION + 2 * FIXATION * d + SCROLL + POINT_CLICK for d in low)
    batch += max(1, -(-len(low) // 50)) * per_page
    return {
        "every_pair_by_hand_min": round(by_hand / 60, 1),
        "accept_above_then_by_hand_min": round(batch / 60, 1),
        "pairs_at_or_above_suggested": len(high),
    }


def main() -> None:
    from playwright.sync_api import sync_playwright

    from respondents.models import LinkStatus, ResponseLink
    from tests.browser import CHROMIUM, CHROMIUM_ARGS
    from tests.surveys.personas import login_verified

    setup_test_environment()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    try:
        rng = random.Random(23)
        study, (batch_wave, old_wave), truth, manager = _build(rng)
        scores = {
            link.pk: float(link.probability or 0)
            for link in ResponseLink.objects.filter(response__wave=batch_wave)
        }
        client = Client()
        login_verified(client, manager)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        server.start()
        server.is_ready.wait()
        base = f"http://127.0.0.1:{server.port}"
        urls = {
            wave.pk: f"{base}/workspace/{study.slug}/waves/{wave.pk}/linkage/"
            for wave in (batch_wave, old_wave)
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
            )
            old = _review_one_by_one(
                context.new_page(), urls[old_wave.pk], urls[old_wave.pk] + "decide/", truth
            )
            new = _review_batch(context.new_page(), urls[batch_wave.pk], truth)
            browser.close()
        ordered = sorted(scores.values(), reverse=True)
        decided = ResponseLink.objects.filter(pk__in=list(truth))
        wrong = sum(
            1
            for link in decided
            if (link.status == LinkStatus.LINKED) != truth[link.pk]
            or link.status == LinkStatus.CANDIDATE
        )
        person = _person_minutes(new, ordered)
        print(
            json.dumps(
                {
                    "bench": "review_pairs",
                    "pairs": PAIRS,
                    "page": {k: v for k, v in new.items() if not k.startswith("_")},
                    "one_form_per_pair_baseline": {
                        k: v for k, v in old.items() if not k.startswith("_")
                    },
                    "machine_time_ratio_vs_baseline": round(
                        new["machine_seconds"] / old["machine_seconds"], 3
                    ),
                    "page_loads_ratio_vs_baseline": round(
                        new["page_loads"] / max(old["page_loads"], 1), 3
                    ),
                    "person_estimate": person,
                    "target_minutes": TARGET_MINUTES,
                    "decisions_not_as_intended": wrong,
                }
            )
        )
    finally:
        server.terminate()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
