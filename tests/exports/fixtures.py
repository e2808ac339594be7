"""A three-wave panel for export tests: people seen in 1, 2 or 3 waves, some flagged.

Waves 1 and 2 field version 1; wave 3 fields version 2, where `trust` changed its wording
and choice labels, `media` (select_multiple) was dropped and `lifesat` (an ESS 0-10 item)
was added. Every row count the export can produce is written out below, so tests assert
exact numbers.

People (P = panel member, O = open-link respondent without a PanelMember):
    A: 6 members in waves 1, 2, 3     B: 4 members in waves 1, 2
    C: 3 members in waves 2, 3        D: 2 members in waves 1, 3
    F: 2 members in wave 1 only (F[1] abandoned)
    O: open-link responses: 5 in wave 1, 3 in wave 2, 3 in wave 3 (one person each)

Flags of each wave's latest finished cleaning run:
    A[0] wave 2 `speeder`                 -> left out
    B[0] wave 1 `speeder` + FlagOverride  -> kept
    O wave 3 first `duplicate:exact`      -> left out
    F[1] wave 1 `incomplete`              -> left out
    A[1] wave 1 `straightliner` from an OLDER run only -> kept

Quasi-identifiers: age, gender, city, and two tied to item-bank concepts (birth_year to
`year_of_birth`, sex to `sex`), so their harmonised twins are tested against disclosure
control. Planted secrets that must never reach an export are in `PLANTED`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from respondents.models import (
    CleaningRun,
    CleaningRunStatus,
    Contact,
    FlagOverride,
    PanelMember,
    QualityFlag,
    Response,
    ResponseStatus,
    Wave,
    WaveState,
)
from surveys.itembank import read_item_bank
from surveys.models import ItemBankConcept, QuestionnaireVersion, Study
from tests.builders import build_version, make_study

# Expected rows: (sample, layout, include_flagged) -> rows.
EXPECTED_ROWS: dict[tuple[str, str, bool], int] = {
    ("combined", "long", False): 46,
    ("combined", "wide", False): 26,
    ("panel", "long", False): 35,
    ("panel", "wide", False): 15,
    ("balanced", "long", False): 15,
    ("balanced", "wide", False): 5,
    ("combined", "long", True): 49,
    ("combined", "wide", True): 28,
    ("panel", "long", True): 36,
    ("panel", "wide", True): 15,
    ("balanced", "long", True): 18,
    ("balanced", "wide", True): 6,
}

PLANTED_EMAIL = "ivan.petrov@mail.ru"
PLANTED_PHONE = "+7 916 123-45-67"
PLANTED_HANDLE = "@ivan_petrov"
PLANTED_LINK = "https://t.me/ivan_petrov_channel"
PLANTED_IDENTIFIER = "passport 4509 123456 Petrov"
PLANTED_CONTACT = "contact.only@example.org"
PLANTED = (
    PLANTED_EMAIL,
    PLANTED_PHONE,
    PLANTED_HANDLE,
    PLANTED_LINK,
    PLANTED_IDENTIFIER,
    PLANTED_CONTACT,
)

CITIES = ("Tbilisi", "Tbilisi", "Yerevan", "Belgrade", "Tbilisi", "Yerevan", "Uglich")

V1_PAGES: list[dict[str, Any]] = [
    {
        "name": "about",
        "questions": [
            {
                "name": "age",
                "type": "integer",
                "privacy": "quasi",
                "labels": {"en": "Your age", "ru": "Ваш возраст"},
            },
            {
                "name": "gender",
                "type": "select_one",
                "choices": "gender",
                "privacy": "quasi",
                "labels": {"en": "Gender", "ru": "Пол"},
            },
            {
                "name": "city",
                "type": "text",
                "privacy": "quasi",
                "labels": {"en": "City you live in", "ru": "Город проживания"},
            },
            {
                "name": "birth_year",
                "type": "integer",
                "privacy": "quasi",
                "harmonise": "year_of_birth",
                "labels": {"en": "Year of birth", "ru": "Год рождения"},
            },
            {
                "name": "sex",
                "type": "select_one",
                "choices": "sex",
                "privacy": "quasi",
                "harmonise": "sex",
                "labels": {"en": "Sex", "ru": "Пол (как в WVS)"},
            },
            {
                "name": "passport",
                "type": "text",
                "privacy": "identifier",
                "labels": {"en": "Passport number", "ru": "Номер паспорта"},
            },
        ],
    },
    {
        "name": "opinions",
        "questions": [
            {
                "name": "trust",
                "type": "select_one",
                "choices": "trust",
                "harmonise": "trust_people",
                "other_choice": "",
                "labels": {
                    "en": "Can most people be trusted?",
                    "ru": "Можно ли доверять большинству людей?",
                },
            },
            {
                "name": "why_careful",
                "type": "text",
                "relevant": "${trust} = '2'",
                "labels": {"en": "Why careful?", "ru": "Почему осторожны?"},
            },
            {
                "name": "media",
                "type": "select_multiple",
                "choices": "media",
                "labels": {"en": "News sources", "ru": "Источники новостей"},
            },
            {
                "name": "source",
                "type": "select_one",
                "choices": "source",
                "other_choice": "other",
                "labels": {"en": "Main source", "ru": "Главный источник"},
            },
            {
                "name": "comment",
                "type": "text",
                "privacy": "sensitive",
                "labels": {"en": "Anything else?", "ru": "Что-нибудь ещё?"},
            },
        ],
    },
]

GENDER = [
    ("1", {"en": "Man", "ru": "Мужчина"}),
    ("2", {"en": "Woman", "ru": "Женщина"}),
    ("3", {"en": "Other", "ru": "Другое"}),
]
SEX = [("1", {"en": "Male", "ru": "Мужской"}), ("2", {"en": "Female", "ru": "Женский"})]
TRUST_V1 = [
    ("1", {"en": "Most people can be trusted", "ru": "Можно доверять"}),
    ("2", {"en": "Need to be very careful", "ru": "Нужно быть осторожным"}),
]
TRUST_V2 = [
    ("1", {"en": "Most can be trusted", "ru": "Большинству можно доверять"}),
    ("2", {"en": "Need to be very careful", "ru": "Нужно быть осторожным"}),
]
MEDIA = [
    ("tv", {"en": "Television", "ru": "Телевидение"}),
    ("tg", {"en": "Telegram", "ru": "Телеграм"}),
    ("web", {"en": "Websites", "ru": "Сайты"}),
]
SOURCE = [
    ("friends", {"en": "Friends", "ru": "Друзья"}),
    ("press", {"en": "Press", "ru": "Пресса"}),
    ("other", {"en": "Other", "ru": "Другое"}),
]


def _v2_pages() -> list[dict[str, Any]]:
    about = V1_PAGES[0]
    opinions = [dict(q) for q in V1_PAGES[1]["questions"] if q["name"] != "media"]
    opinions[0]["labels"] = {
        "en": "Generally, can most people be trusted?",
        "ru": "В целом, можно ли доверять большинству людей?",  # noqa: RUF001
    }
    opinions.insert(
        2,
        {
            "name": "lifesat",
            "type": "integer",
            "harmonise": "life_satisfaction",
            "labels": {"en": "Life satisfaction (0-10)", "ru": "Удовлетворённость жизнью (0-10)"},
        },
    )
    return [about, {"name": "opinions", "questions": opinions}]


@dataclass
class ThreeWavePanel:
    study: Study
    versions: tuple[QuestionnaireVersion, QuestionnaireVersion]
    waves: tuple[Wave, Wave, Wave]
    members: dict[str, list[PanelMember]]
    responses: list[Response] = field(default_factory=list)
    # Raw panel keys as the researcher supplied them (only their hash is stored).
    raw_panel_keys: list[str] = field(default_factory=list)

    @property
    def wave_ids(self) -> tuple[int, int, int]:
        return (self.waves[0].pk, self.waves[1].pk, self.waves[2].pk)


def load_concepts(*keys: str) -> None:
    for concept in read_item_bank():
        if concept.key in keys:
            ItemBankConcept.objects.update_or_create(
                key=concept.key,
                defaults={
                    "label": concept.label,
                    "domain": concept.domain,
                    "wvs7_item": concept.wvs7_item,
                    "ess_variable": concept.ess_variable,
                    "equivalence": concept.equivalence,
                    "definition": concept.definition,
                },
            )


def _answers(index: int, wave_number: int, *, planted: bool) -> dict[str, Any]:
    trust = "1" if index % 3 else "2"
    answers: dict[str, Any] = {
        "age": 19 + (index * 7) % 58,
        "gender": GENDER[index % 3 if index % 5 else 0][0],
        "city": CITIES[index % len(CITIES)],
        "birth_year": 2025 - (19 + (index * 7) % 58),
        "sex": SEX[(index // 2) % 2][0],
        "passport": PLANTED_IDENTIFIER,
        "trust": trust,
        "source": SOURCE[index % 3][0],
    }
    if answers["source"] == "other":
        answers["source_other"] = f"Radio Liberty {index}"
    if trust == "2" and index % 4:
        answers["why_careful"] = "Bad experience"
    if wave_number < 3:
        answers["media"] = [MEDIA[index % 3][0]] + (["web"] if index % 2 else [])
    else:
        answers["lifesat"] = index % 11
    if planted:
        answers["comment"] = (
            f"Write to {PLANTED_EMAIL} or call {PLANTED_PHONE}, tg {PLANTED_HANDLE} {PLANTED_LINK}"
        )
    elif index % 2:
        answers["comment"] = "All fine"
    # Left empty on purpose: `comment` for even indexes is "no answer".
    return answers


def build_three_wave_panel(slug: str = "panel") -> ThreeWavePanel:
    load_concepts("trust_people", "life_satisfaction", "year_of_birth", "sex")
    study = make_study(slug)
    choices = {"gender": GENDER, "sex": SEX, "trust": TRUST_V1, "media": MEDIA, "source": SOURCE}
    v1 = build_version(study, V1_PAGES, choices=choices)
    v2 = build_version(study, _v2_pages(), choices={**choices, "trust": TRUST_V2})
    start = datetime(2025, 1, 10, tzinfo=UTC)
    w1, w2, w3 = (
        Wave.objects.create(
            study=study,
            version=version,
            name=f"w{n}",
            slug=f"{slug}-w{n}",
            state=WaveState.CLOSED,
            opens_at=start + timedelta(days=180 * (n - 1)),
        )
        for n, version in ((1, v1), (2, v1), (3, v2))
    )
    waves = (w1, w2, w3)
    panel = ThreeWavePanel(study=study, versions=(v1, v2), waves=waves, members={})
    plan = {
        "A": (6, (1, 2, 3)),
        "B": (4, (1, 2)),
        "C": (3, (2, 3)),
        "D": (2, (1, 3)),
        "F": (2, (1,)),
    }
    counter = 0
    for group, (count, wave_numbers) in plan.items():
        panel.members[group] = []
        for i in range(count):
            raw_key = f"RAWKEY-{slug}-{group}{i}"
            member = PanelMember.objects.create(
                study=study,
                pseudonym=f"pm{slug}{group}{i}",
                panel_key_hash=hashlib.sha256(raw_key.encode()).hexdigest(),
            )
            Contact.objects.create(member=member, email_encrypted=PLANTED_CONTACT)
            panel.raw_panel_keys.append(raw_key)
            panel.members[group].append(member)
            for n in wave_numbers:
                counter += 1
                status = (
                    ResponseStatus.ABANDONED if (group, i) == ("F", 1) else ResponseStatus.COMPLETED
                )
                panel.responses.append(_response(waves[n - 1], member, counter, n, status))
    for n, count in ((1, 5), (2, 3), (3, 3)):
        for _ in range(count):
            counter += 1
            panel.responses.append(
                _response(waves[n - 1], None, counter, n, ResponseStatus.COMPLETED)
            )
    _flag(panel)
    return panel


def _response(
    wave: Wave, member: PanelMember | None, index: int, wave_number: int, status: str
) -> Response:
    started = (wave.opens_at or datetime(2025, 1, 1, tzinfo=UTC)) + timedelta(hours=index)
    answers = _answers(index, wave_number, planted=index % 4 == 1)
    if status == ResponseStatus.ABANDONED:
        answers = {"age": answers["age"], "gender": answers["gender"]}
    return Response.objects.create(
        wave=wave,
        member=member,
        status=status,
        language="ru" if index % 2 else "en",
        answers=answers,
        paradata={"pages": {"about": {"seconds": 30 + index}}},
        started_at=started,
        completed_at=started + timedelta(seconds=300 + 7 * index)
        if status == ResponseStatus.COMPLETED
        else None,
        source_id=f"src-{index}",
    )


def _member_response(panel: ThreeWavePanel, group: str, i: int, wave: int) -> Response:
    member = panel.members[group][i]
    return next(
        r
        for r in panel.responses
        if r.member_id == member.pk and r.wave_id == panel.waves[wave - 1].pk
    )


def _flag(panel: ThreeWavePanel) -> None:
    base = datetime(2025, 12, 1, tzinfo=UTC)

    def run(wave: Wave, minutes: int) -> CleaningRun:
        return CleaningRun.objects.create(
            wave=wave,
            config={"speeder_rsi_threshold": 2.0},
            started_at=base + timedelta(minutes=minutes),
            finished_at=base + timedelta(minutes=minutes + 1),
            counts={},
            status=CleaningRunStatus.FINISHED,
        )

    old_w1, new_w1 = run(panel.waves[0], 0), run(panel.waves[0], 10)
    new_w2, new_w3 = run(panel.waves[1], 10), run(panel.waves[2], 10)
    QualityFlag.objects.create(
        run=old_w1, response=_member_response(panel, "A", 1, 1), rule="straightliner"
    )
    QualityFlag.objects.create(
        run=new_w2, response=_member_response(panel, "A", 0, 2), rule="speeder", score=2.7
    )
    overridden = _member_response(panel, "B", 0, 1)
    QualityFlag.objects.create(run=new_w1, response=overridden, rule="speeder", score=2.2)
    FlagOverride.objects.create(response=overridden, rule="speeder", reason="checked by hand")
    QualityFlag.objects.create(
        run=new_w1, response=_member_response(panel, "F", 1, 1), rule="incomplete"
    )
    open_w3 = next(
        r for r in panel.responses if r.member_id is None and r.wave_id == panel.waves[2].pk
    )
    QualityFlag.objects.create(run=new_w3, response=open_w3, rule="duplicate:exact", score=1.0)
