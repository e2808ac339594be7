"""A small wave in the database with one planted case per cleaning rule.

Forty ordinary respondents (random answers, about 30 seconds a page) and, each with its own
response: a speeder, a straightliner, the same panel member twice, an exact copy started
five minutes after its original, a breakoff, a honeypot bot and a failed attention check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from respondents.models import PanelMember, Response, ResponseStatus, Wave, WaveState
from tests.builders import build_version, make_study

AGREE = [(str(k), {"en": f"level {k}"}) for k in range(1, 6)]
COUNTRIES = [(c, {"en": c}) for c in ("ru", "ge", "am", "kz", "rs", "tr")]
MEDIA = [(m, {"en": m}) for m in ("tg", "yt", "web", "tv")]
PAGES = ("trust", "values", "about")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class PlantedWave:
    wave: Wave
    ids: dict[str, int]  # planted case -> response id
    ordinary: list[int]


def build_cleaning_wave(slug: str = "panel") -> PlantedWave:
    study = make_study(slug)
    version = build_version(
        study,
        [
            {
                "name": "trust",
                "questions": [
                    {"name": f"t{i}", "type": "select_one", "choices": "agree"} for i in range(1, 6)
                ],
            },
            {
                "name": "values",
                "questions": [
                    *(
                        {"name": f"v{i}", "type": "select_one", "choices": "agree"}
                        for i in range(1, 6)
                    ),
                    {
                        "name": "check",
                        "type": "select_one",
                        "choices": "agree",
                        "attention_expected": "2",
                    },
                ],
            },
            {
                "name": "about",
                "questions": [
                    {"name": "age", "type": "integer"},
                    {"name": "country", "type": "select_one", "choices": "countries"},
                    {"name": "media", "type": "select_multiple", "choices": "media"},
                    {"name": "comment", "type": "text"},
                ],
            },
        ],
        choices={"agree": AGREE, "countries": COUNTRIES, "media": MEDIA},
    )
    wave = Wave.objects.create(
        study=study, version=version, name="w1", slug=f"{slug}-w1", state=WaveState.OPEN
    )
    rng = np.random.default_rng(3)
    rows: list[Response] = []

    def add(answers, seconds, *, started, channel="tg", **fields) -> Response:
        response = Response(
            wave=wave,
            answers=answers,
            paradata={
                "pages": {
                    p: {"seconds": s, "visits": 1}
                    for p, s in zip(PAGES, seconds, strict=True)
                    if s is not None
                }
            },
            started_at=started,
            completed_at=started + timedelta(seconds=sum(s for s in seconds if s)),
            status=ResponseStatus.COMPLETED,
            channel=channel,
            fingerprint=f"fp{len(rows)}",
            source_id=f"ext-{len(rows) + 1}",
            **fields,
        )
        rows.append(response)
        return response

    def answers(trust=None, values=None) -> dict[str, object]:
        return {
            **{f"t{i}": trust or str(rng.integers(1, 6)) for i in range(1, 6)},
            **{f"v{i}": values or str(rng.integers(1, 6)) for i in range(1, 6)},
            "check": "2",
            "age": int(rng.integers(18, 80)),
            "country": str(rng.choice(["ru", "ge", "am", "kz", "rs", "tr"])),
            "media": sorted(rng.choice(["tg", "yt", "web", "tv"], size=2, replace=False).tolist()),
            "comment": "free text stays out of every comparison",
        }

    def normal_times() -> list[float]:
        return [float(x) for x in rng.uniform(25, 40, 3)]

    for k in range(40):
        add(
            answers(),
            normal_times(),
            started=START + timedelta(hours=k * 2),
            channel="tg" if k % 2 else "media",
        )
    member = PanelMember.objects.create(study=study, pseudonym="p-twice")
    planted = {
        "speeder": add(answers(), [4.0, 5.0, 3.0], started=START + timedelta(hours=1)),
        "straightliner": add(answers("3", "3"), normal_times(), started=START + timedelta(hours=3)),
        "person_first": add(
            answers(), normal_times(), started=START + timedelta(hours=5), member=member
        ),
        "person_again": add(
            answers(), normal_times(), started=START + timedelta(days=1), member=member
        ),
        "bot": add(
            answers(), normal_times(), started=START + timedelta(hours=9), honeypot_filled=True
        ),
        "attention": add(
            {**answers(), "check": "5"}, normal_times(), started=START + timedelta(hours=11)
        ),
    }
    original = rows[7]
    planted["copy"] = add(
        dict(original.answers), normal_times(), started=original.started_at + timedelta(minutes=5)
    )
    breakoff = add({"t1": "2", "t2": "4"}, [30.0, None, None], started=START + timedelta(hours=13))
    breakoff.status = ResponseStatus.ABANDONED
    breakoff.completed_at = None
    planted["breakoff"] = breakoff
    Response.objects.bulk_create(rows)
    ids = {name: response.pk for name, response in planted.items()}
    ids["original"] = original.pk
    ordinary = [r.pk for r in rows[:40] if r.pk != original.pk]
    return PlantedWave(wave, ids, ordinary)
