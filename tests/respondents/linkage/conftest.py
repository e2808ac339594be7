"""The two-wave study the linkage tests share: 40 people in wave 1; in wave 2, eight of them
back through the open link and five newcomers unlike anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import build_version, make_study
from tests.respondents.fieldwork import START, add_response, make_wave

STABLE = {"stable": "yes"}
PAGES = [
    {
        "name": "about",
        "questions": [
            {"name": "birth_year", "type": "integer", "extra": STABLE},
            {"name": "sex", "type": "select_one", "choices": "sexes", "extra": STABLE},
            {"name": "region", "type": "select_one", "choices": "regions", "extra": STABLE},
            {"name": "trust", "type": "select_one", "choices": "scale"},
        ],
    }
]
CHOICES = {
    "sexes": [(s, {"en": s, "ru": s}) for s in ("f", "m")],
    "regions": [(r, {"en": r, "ru": r}) for r in ("msk", "spb", "ural", "volga", "south")],
    "scale": [(str(n), {"en": str(n), "ru": str(n)}) for n in range(1, 6)],
}


def _people(count: int) -> list[dict[str, object]]:
    regions = ("msk", "spb", "ural", "volga", "south")
    return [
        {
            "birth_year": 1960 + (n * 7) % 45,
            "sex": "fm"[n % 2],
            "region": regions[(n * 3) % 5],
            "trust": str(1 + n % 5),
        }
        for n in range(count)
    ]


@pytest.fixture
def two_waves():
    study = make_study("linked")
    version = build_version(study, PAGES, choices=CHOICES)
    first = make_wave(study, version, "Wave 1")
    second = make_wave(study, version, "Wave 2")
    second.opens_at = (first.opens_at or START) + timedelta(days=180)
    second.save(update_fields=["opens_at"])
    people = _people(40)
    earlier = [add_response(first, answers=answers) for answers in people]
    # Eight of them come back through the open link; five newcomers unlike anyone.
    returners = [add_response(second, answers=people[n]) for n in range(8)]
    newcomers = [
        add_response(
            second,
            answers={"birth_year": 1950 + n, "sex": "f", "region": "south", "trust": "1"},
        )
        for n in range(5)
    ]
    return study, first, second, earlier, returners, newcomers
