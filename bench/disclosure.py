"""Benchmark: what disclosure control keeps of the covariates, and how long it takes.

A three-wave panel of BENCH_DISCLOSURE_WAVE people per wave (default 5,000), 65% of each
wave's people coming back in the next (newcomers fill the wave up), with age, sex,
country and city as quasi-identifiers: ages 18-75, asked each wave (six months apart, so
a person's age moves on); 10 countries of residence of unequal size, a tenth of them
rare; a city named as free text, a capital most often, in a few spellings; 3% of people
move country between waves. Seeded: every run gives the same panel.

The export runs through exports.assembly.build_dataset and the CSV writer with the
default settings (k = 5, no declared population size) for the combined long and the
balanced wide export; printed per export: seconds, k required and reached, people
singled out across waves, and each quasi-identifier's suppressed share and recoding level.
Creates its own database (`pw_bench_disclosure` on the DATABASE_URL server).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web.stack import (
    create_database,
    database_url,
    drop_database,
    migrate,
    require_postgres,
    server_url,
    setup_django,
)

DATABASE = "pw_bench_disclosure"
RETENTION = 0.65
WAVES = 3
SEED = 13
# Country code -> (weight, capital, other cities).
COUNTRIES = {
    "ge": (28, "Tbilisi", ["Batumi", "Kutaisi"]),
    "am": (18, "Yerevan", ["Gyumri"]),
    "kz": (14, "Almaty", ["Astana", "Shymkent"]),
    "rs": (10, "Belgrade", ["Novi Sad"]),
    "tr": (9, "Istanbul", ["Antalya", "Izmir"]),
    "de": (8, "Berlin", ["Munich", "Leipzig"]),
    "il": (6, "Tel Aviv", ["Haifa"]),
    "ae": (4, "Dubai", []),
    "me": (2, "Podgorica", ["Budva"]),
    "ar": (1, "Buenos Aires", []),
}


def _bench_url() -> str:
    return database_url(server_url(), DATABASE)


def _django() -> None:
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    setup_django({"DATABASE_URL": _bench_url()})


def prepare(per_wave: int) -> None:
    server = server_url()
    require_postgres(server)
    create_database(server, DATABASE)
    env = {**os.environ, "DATABASE_URL": _bench_url()}
    env.pop("REDIS_URL", None)
    migrate(env)
    subprocess.run([sys.executable, __file__, "setup", str(per_wave)], check=True)


def _person(rng: random.Random) -> dict[str, Any]:
    codes = list(COUNTRIES)
    country = rng.choices(codes, [COUNTRIES[c][0] for c in codes])[0]
    return {"age": rng.randint(18, 75), "sex": rng.choice(("1", "2")), "country": country}


def _city(rng: random.Random, country: str) -> str:
    _, capital, others = COUNTRIES[country]
    name = capital if not others or rng.random() < 0.7 else rng.choice(others)
    return name.lower() if rng.random() < 0.2 else name


def setup(per_wave: int) -> None:
    _django()
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from respondents.models import PanelMember, Response, ResponseStatus, Wave, WaveState
    from tests.builders import build_version, make_study

    rng = random.Random(SEED)
    countries = [(c, {"en": COUNTRIES[c][1], "ru": COUNTRIES[c][1]}) for c in COUNTRIES]
    agree = [(str(code), {"en": f"Agree {code}", "ru": f"Согласен {code}"}) for code in (1, 2, 3)]
    sex = [("1", {"en": "Male", "ru": "Мужской"}), ("2", {"en": "Female", "ru": "Женский"})]
    pages = [
        {
            "name": "about",
            "questions": [
                {"name": "age", "type": "integer", "privacy": "quasi"},
                {"name": "sex", "type": "select_one", "choices": "sex", "privacy": "quasi"},
                {
                    "name": "country",
                    "type": "select_one",
                    "choices": "countries",
                    "privacy": "quasi",
                },
                {"name": "city", "type": "text", "privacy": "quasi"},
                {"name": "trust", "type": "select_one", "choices": "agree"},
            ],
        }
    ]
    study = make_study("bench-disclosure")
    version = build_version(
        study, pages, choices={"countries": countries, "agree": agree, "sex": sex}
    )
    start = datetime(2025, 1, 10, tzinfo=UTC)
    with transaction.atomic():
        waves = [
            Wave.objects.create(
                study=study,
                version=version,
                name=f"w{n}",
                slug=f"bench-w{n}",
                state=WaveState.CLOSED,
                opens_at=start + timedelta(days=182 * (n - 1)),
            )
            for n in range(1, WAVES + 1)
        ]
        people: dict[int, dict[str, Any]] = {}
        members: dict[int, PanelMember] = {}
        previous: list[int] = []
        for index, wave in enumerate(waves):
            back = [p for p in previous if rng.random() < RETENTION]
            new = list(range(len(people), len(people) + per_wave - len(back)))
            for p in new:
                people[p] = _person(rng)
                people[p]["city"] = _city(rng, people[p]["country"])
            fresh = [PanelMember(study=study, pseudonym=f"bd{p}") for p in new]
            members.update(zip(new, PanelMember.objects.bulk_create(fresh), strict=True))
            rows = []
            for p in [*back, *new]:
                person = people[p]
                if index and rng.random() < 0.03:
                    person["country"] = _person(rng)["country"]
                    person["city"] = _city(rng, person["country"])
                age = person["age"] + (index + rng.randint(0, 1)) // 2
                started = (wave.opens_at or start) + timedelta(minutes=p % 5000)
                rows.append(
                    Response(
                        wave=wave,
                        member=members[p],
                        status=ResponseStatus.COMPLETED,
                        language="ru",
                        answers={
                            "age": age,
                            "sex": person["sex"],
                            "country": person["country"],
                            "city": person["city"],
                            "trust": str(rng.randint(1, 3)),
                        },
                        paradata={"pages": {"about": {"seconds": 20 + p % 40}}},
                        started_at=started,
                        completed_at=started + timedelta(seconds=200 + p % 300),
                    )
                )
            Response.objects.bulk_create(rows, batch_size=2000)
            previous = [*back, *new]


def export(sample: str, layout: str) -> dict[str, Any]:
    _django()
    from exports.anonymise.pseudonyms import new_export_key
    from exports.assembly import build_dataset
    from exports.dataset import ExportSpec
    from exports.writers import get_writer
    from respondents.models import Wave

    waves = tuple(
        Wave.objects.filter(slug__startswith="bench-w")
        .order_by("opens_at")
        .values_list("pk", flat=True)
    )
    study_id = Wave.objects.get(pk=waves[0]).study_id
    spec = ExportSpec(
        study_id=study_id,
        wave_ids=waves,
        sample=sample,  # type: ignore[arg-type]
        layout=layout,  # type: ignore[arg-type]
        k=5,
        language="en",
        pseudonym_key=new_export_key(),
    )
    started = time.perf_counter()
    dataset = build_dataset(spec)
    assembled = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as directory:
        written = get_writer("csv")(dataset, Path(directory), basename="bench")
    report = dataset.disclosure_report
    return {
        "export": f"{sample} {layout}",
        "rows": written.rows,
        "seconds_assembly": round(assembled, 2),
        "seconds_total": round(time.perf_counter() - started, 2),
        "k": report["k_required"],
        "k_reached": report["k_reached"],
        "people": report["people"],
        "people_unique_across_waves": report.get("people_unique_across_waves"),
        "suppressed_share": report["suppressed_share"],
        "recoding_level": report["recoding_level"],
        "generalised": report.get("generalised", {}),
        "release_gate_passed": report["release_gate"]["passed"],
    }


def child(sample: str, layout: str) -> None:
    print(json.dumps(export(sample, layout)))


def main() -> None:
    per_wave = int(os.environ.get("BENCH_DISCLOSURE_WAVE", "5000"))
    prepare(per_wave)
    try:
        for sample, layout in (("combined", "long"), ("balanced", "wide")):
            env = {**os.environ, "DATABASE_URL": _bench_url()}
            env.pop("REDIS_URL", None)
            result = subprocess.run(
                [sys.executable, __file__, "child", sample, layout],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            print(result.stdout.strip().splitlines()[-1])
    finally:
        drop_database(server_url(), DATABASE)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
