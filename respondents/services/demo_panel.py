"""The demo's three-wave panel: a questionnaire imported from an XLSForm, three waves of
synthetic responses with panel overlap, a cleaning run, returners to review, and an open
third wave.

Everything goes through the real services (import_questionnaire, publish_version,
open_wave, import_responses, clean_wave), so the demo shows what a study really looks
like. The synthetic data are drawn from a seeded generator: every run gives the same
figures. Nothing here is a respondent: panel keys are "demo-<n>".
"""

from __future__ import annotations

import csv
import io
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from respondents.cleaning.service import clean_wave
from respondents.models import Invitation, PanelMember, Wave, WaveState
from respondents.services.import_responses import import_responses_from
from respondents.services.linkage import run_linkage
from respondents.services.waves import change_wave_state, open_link, open_wave
from surveys.models import QuestionnaireVersion, Study
from surveys.services.itembank import load_item_bank
from surveys.services.questionnaires import import_questionnaire, publish_version

DEMO_FORM = Path(__file__).resolve().parent.parent / "data" / "demo_panel.xlsx"
WAVE_NAMES = ("Wave 1", "Wave 2", "Wave 3")
CHANNELS = ("telegram", "media", "panel")
COUNTRIES = ("ge", "am", "kz", "rs", "tr", "de", "il", "other")
COUNTRY_WEIGHTS = (30, 20, 15, 10, 8, 7, 5, 5)
# People recruited through the open link in wave 1, and the chances that a panel member
# comes back: a typical panel of emigrants loses about a third per wave.
RECRUITS = 240
RETURN_CHANCE = (0.7, 0.75)
NEWCOMERS = (60, 50)
# Earlier respondents who come back through the open link without their personal link, in
# waves 2 and 3: the workspace's returner review has real pairs to decide. A person keeps
# their stable answers (country, birth year, sex: the 'stable' column of the demo form),
# and one in ten has moved to another country since.
LOST_LINK = (12, 10)
STABLE = ("country", "birth_year", "sex")
MOVE_CHANCE = 0.1
# Months between waves (the model case: every six months), counted back from today.
WAVE_SPACING_DAYS = 182
SEED = 2026


@dataclass(frozen=True)
class DemoPanel:
    waves: tuple[Wave, ...]
    open_wave_link: str


def _version(study: Study) -> QuestionnaireVersion:
    load_item_bank()
    imported = import_questionnaire(DEMO_FORM, study=study)
    return publish_version(imported.version.pk)


def _answers(rng: random.Random) -> dict[str, str]:
    return {
        "country": rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0],
        "birth_year": str(rng.randint(1960, 2004)),
        "sex": rng.choice(("1", "2")),
        "trust_people": "1" if rng.random() < 0.38 else "2",
        "political_interest": str(rng.choices((1, 2, 3, 4), (35, 40, 18, 7))[0]),
        "life_satisfaction": str(min(10, max(1, round(rng.gauss(6.2, 1.8))))),
        "comment": "",
    }


def _csv(rows: list[dict[str, str]]) -> io.StringIO:
    handle = io.StringIO()
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    handle.seek(0)
    return handle


def _row(
    rng: random.Random,
    number: int,
    wave_index: int,
    key: str,
    opened: datetime,
    channel: str,
    stable: dict[str, str] | None = None,
) -> dict[str, str]:
    started = opened + timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 1440))
    minutes = max(3.0, rng.lognormvariate(2.5, 0.4))
    # Every twentieth person stops before the end: a partial.
    completed = "" if number % 20 == 19 else (started + timedelta(minutes=minutes)).isoformat()
    return {
        "source_id": f"w{wave_index + 1}-{number}",
        "panel_key": key,
        "started_at": started.isoformat(),
        "completed_at": completed,
        "channel": channel,
        "language": "ru" if rng.random() < 0.85 else "en",
        **_answers(rng),
        **(stable or {}),
    }


def _stable(people: dict[str, dict[str, str]], key: str, row: dict[str, str]) -> dict[str, str]:
    """The person's stable answers as first given (the row's own for someone new)."""
    return people.setdefault(key, {name: row[name] for name in STABLE})


def _lost_link_rows(
    lost: random.Random,
    people: dict[str, dict[str, str]],
    wave_index: int,
    absent: list[str],
    opened: datetime,
) -> list[dict[str, str]]:
    """Rows of earlier respondents answering through the open link with no panel key."""
    chosen = lost.sample(absent, min(LOST_LINK[wave_index - 1], len(absent)))
    rows = []
    for number, key in enumerate(chosen):
        stable = dict(people[key])
        if lost.random() < MOVE_CHANCE:
            stable["country"] = lost.choice([c for c in COUNTRIES if c != stable["country"]])
        row = _row(lost, number, wave_index, "", opened, lost.choice(CHANNELS[:2]), stable)
        row["source_id"] = f"w{wave_index + 1}-lost-{number}"
        rows.append(row)
    return rows


def _invite_panel(wave: Wave, opened: datetime) -> None:
    # The demo has no e-mail addresses, so invitations are recorded as sent on the day the
    # wave opened (the token is random and never shown: nobody can use it).
    members = PanelMember.objects.filter(study=wave.study)
    Invitation.objects.bulk_create(
        Invitation(member=member, wave=wave, token_hash=secrets.token_hex(32), sent_at=opened)
        for member in members
    )


def _respondents(rng: random.Random, wave_index: int, returning: list[str]) -> list[str]:
    if wave_index == 0:
        return [f"demo-{n}" for n in range(RECRUITS)]
    back = [key for key in returning if rng.random() < RETURN_CHANCE[wave_index - 1]]
    start = RECRUITS + sum(NEWCOMERS[: wave_index - 1])
    return back + [f"demo-{n}" for n in range(start, start + NEWCOMERS[wave_index - 1])]


def _field_wave(
    rng: random.Random,
    study: Study,
    version: QuestionnaireVersion,
    index: int,
    keys: list[str],
    returning: set[str],
    people: dict[str, dict[str, str]],
    lost: random.Random,
) -> Wave:
    opened = timezone.now() - timedelta(days=WAVE_SPACING_DAYS * (len(WAVE_NAMES) - 1 - index))
    wave = open_wave(study, version, WAVE_NAMES[index], channels=CHANNELS)
    Wave.objects.filter(pk=wave.pk).update(opens_at=opened)
    if index > 0:
        _invite_panel(wave, opened)
    # Returning panelists come through their invitation; newcomers through shared links.
    rows = []
    for number, key in enumerate(keys):
        row = _row(
            rng,
            number,
            index,
            key,
            opened,
            "panel" if key in returning else rng.choice(CHANNELS[:2]),
        )
        rows.append(row | _stable(people, key, row))
    if index > 0:
        absent = sorted(set(people) - set(keys), key=lambda key: int(key.split("-")[1]))
        rows += _lost_link_rows(lost, people, index, absent, opened)
    import_responses_from(wave, _csv(rows), file_name=f"demo-wave-{index + 1}.csv")
    wave.refresh_from_db()
    return wave


def build_demo_panel(study: Study) -> DemoPanel:
    """Field the three demo waves once; later runs find them and only report the link."""
    existing = list(Wave.objects.filter(study=study, name__in=WAVE_NAMES).order_by("opens_at"))
    if len(existing) == len(WAVE_NAMES):
        return DemoPanel(tuple(existing), open_link(existing[-1]))
    rng = random.Random(SEED)  # noqa: S311 (synthetic data, not a secret)
    # Its own generator, so the panel's figures stay those of the panel without them.
    lost = random.Random(SEED + 1)  # noqa: S311 (synthetic data, not a secret)
    people: dict[str, dict[str, str]] = {}
    with transaction.atomic():
        version = _version(study)
        waves: list[Wave] = []
        returning: list[str] = []
        for index in range(len(WAVE_NAMES)):
            keys = _respondents(rng, index, returning)
            waves.append(
                _field_wave(rng, study, version, index, keys, set(returning), people, lost)
            )
            returning = keys
        for wave in waves[:-1]:
            change_wave_state(wave, WaveState.CLOSED)
    for wave in waves:
        clean_wave(wave.pk)
    for wave in waves[1:]:
        run_linkage(wave)
    return DemoPanel(tuple(waves), open_link(waves[-1]))
