"""A three-wave panel study with known figures, for the dashboard and the API role tests.

Ten panel members are invited to every wave (invitations sent):
- wave 1 (closed): members 0-7 complete, plus two open-link completes without a member;
- wave 2 (closed): members 0-5 complete; member 9 starts and stops (a partial);
- wave 3 (open): members 0-2 and 8 complete.
So the panel response rate is (8 + 6 + 4) / 30 = 60%; nine members took part, six more
than once, three in all three waves; the funnel is 8 -> 6 -> 3.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from respondents.models import (
    Invitation,
    PanelMember,
    Response,
    ResponseStatus,
    Wave,
    WaveState,
)
from surveys.models import QuestionnaireVersion, Study
from tests.builders import build_version, make_study

WAVE_STARTS = [
    datetime(2025, 3, 1, 9, tzinfo=UTC),
    datetime(2025, 9, 1, 9, tzinfo=UTC),
    datetime(2026, 3, 1, 9, tzinfo=UTC),
]
COMPLETERS = [range(8), range(6), [0, 1, 2, 8]]
PAGES: list[dict[str, Any]] = [
    {
        "name": "about",
        "questions": [
            {
                "name": "country",
                "type": "select_one",
                "choices": "countries",
                "harmonise": "country_of_residence",
                "labels": {"en": "Country", "ru": "Страна"},
            },
            {
                "name": "trust",
                "type": "select_one",
                "choices": "trust",
                "harmonise": "trust_people",
                "labels": {"en": "Trust", "ru": "Доверие"},
            },
        ],
    }
]
CHOICES = {
    "countries": [
        ("ge", {"en": "Georgia", "ru": "Грузия"}),
        ("am", {"en": "Armenia", "ru": "Армения"}),
    ],
    "trust": [
        ("1", {"en": "Most people can be trusted", "ru": "Можно доверять"}),
        ("2", {"en": "Need to be very careful", "ru": "Нужно быть осторожным"}),
    ],
}


@dataclass(frozen=True)
class ThreeWaveStudy:
    study: Study
    version: QuestionnaireVersion
    waves: list[Wave]
    members: list[PanelMember]


def _complete(wave: Wave, member: PanelMember | None, index: int, day: int) -> Response:
    started = WAVE_STARTS[len(Wave.objects.filter(study=wave.study, opens_at__lt=wave.opens_at))]
    started = started + timedelta(days=day, minutes=index)
    return Response.objects.create(
        wave=wave,
        member=member,
        channel="telegram" if index % 2 else "panel",
        language="ru" if index % 3 else "en",
        status=ResponseStatus.COMPLETED,
        answers={"country": "ge" if index % 4 else "am", "trust": "1" if index < 3 else "2"},
        started_at=started,
        completed_at=started + timedelta(minutes=10 + index),
        current_page="end",
    )


def build_three_wave_study(slug: str = "panel") -> ThreeWaveStudy:
    study = make_study(slug)
    version = build_version(study, PAGES, choices=CHOICES)
    members = [PanelMember.objects.create(study=study, pseudonym=f"{slug}-{i}") for i in range(10)]
    waves = []
    for number, (opens, completers) in enumerate(zip(WAVE_STARTS, COMPLETERS, strict=True), 1):
        wave = Wave.objects.create(
            study=study,
            version=version,
            name=f"Wave {number}",
            slug=f"{slug}-w{number}",
            state=WaveState.OPEN if number == 3 else WaveState.CLOSED,
            opens_at=opens,
        )
        waves.append(wave)
        for member in members:
            Invitation.objects.create(
                member=member, wave=wave, token_hash=secrets.token_hex(32), sent_at=opens
            )
        for index in completers:
            _complete(wave, members[index], index, day=index % 3)
    for index in (8, 9):
        _complete(waves[0], None, index, day=1)
    Response.objects.create(
        wave=waves[1],
        member=members[9],
        status=ResponseStatus.IN_PROGRESS,
        started_at=WAVE_STARTS[1],
        current_page="about",
    )
    return ThreeWaveStudy(study, version, waves, members)
