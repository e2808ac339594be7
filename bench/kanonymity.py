"""Benchmark: the export's k-anonymity (exports/anonymise/kanon.py) at 10^5 and 10^6 people.

A three-wave panel of N people a wave, 65% of each wave's people coming back in the next
(newcomers fill the wave up), as bench/scale.py's study: 3N rows, about 2.2N people. Two
quasi-identifiers, age (18-80) and country (7 categories). `--covariates random` draws them
anew for every row, as bench/scale.py's generated waves do, so a returner's rows differ
(the hard case: few people share their set of rows); `stable` keeps them per person.

Each size and layout runs `kanon.anonymise` (k = 5, the recoding search, local
suppression and the restoring pass) in its own child process, so its peak memory
(ru_maxrss, the generated panel included) is its own. The baseline, timed in the same
child on the same rows: one factorisation of the rows' (person, wave, age, country), the
least any grouping of them costs. Printed per run: seconds, CPU seconds, peak MB, the
ratio to the baseline, the levels chosen and the cells suppressed; then each layout's
growth from the smallest to the largest size ((t_large / t_small) / (n_large / n_small):
1.0 is linear).

Prints one JSON line. Django is not needed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100_000, 1_000_000)
LAYOUTS = ("long", "wide")
COME_BACK = 0.65
K = 5


def child(n: int, layout: str, covariates: str) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import pandas as pd

    from exports.anonymise import kanon

    frame, group = _panel(n, covariates)
    columns = [
        kanon.QuasiColumn("age", "age"),
        kanon.QuasiColumn("country", "category", {code: f"country {code}" for code in range(7)}),
    ]
    started = time.perf_counter()
    for name in ("pid", "wave", "age", "country"):
        pd.factorize(frame[name].to_numpy())
    baseline = time.perf_counter() - started
    cpu = _cpu_seconds()
    started = time.perf_counter()
    result = kanon.anonymise(
        frame,
        columns,
        K,
        person="pid",
        wide=layout == "wide",
        group=group if layout == "wide" else None,
    )
    seconds = time.perf_counter() - started
    return {
        "people_a_wave": n,
        "layout": layout,
        "rows": len(frame),
        "people": int(frame["pid"].nunique()),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(_cpu_seconds() - cpu, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "baseline_seconds": round(baseline, 3),
        "ratio_to_baseline": round(seconds / baseline, 1),
        "levels": result.levels,
        "suppressed": result.suppressed,
        "smallest_class": int(np.min(result.sizes)) if len(result.sizes) else 0,
    }


def _panel(n: int, covariates: str) -> tuple[Any, Any]:
    import numpy as np
    import pandas as pd

    chance = np.random.default_rng(7)
    persons, waves = [], []
    current, next_person = np.arange(n), n
    for number in (1, 2, 3):
        persons.append(current)
        waves.append(np.full(n, number))
        back = current[chance.random(n) < COME_BACK]
        newcomers = np.arange(next_person, next_person + n - len(back))
        next_person += len(newcomers)
        current = np.concatenate([back, newcomers])
    person = np.concatenate(persons)
    wave = np.concatenate(waves)
    if covariates == "stable":
        by_person = np.random.default_rng(8)
        ages = by_person.integers(18, 81, next_person)
        countries = by_person.integers(0, 7, next_person)
        age, country = ages[person], countries[person]
    else:
        age, country = chance.integers(18, 81, len(person)), chance.integers(0, 7, len(person))
    frame = pd.DataFrame(
        {
            "pid": person,
            "wave": wave.astype(np.float64),
            "age": age.astype(np.float64),
            "country": country.astype(np.float64),
        }
    )
    # The wide layout's groups: the waves each person took part in, as bits.
    pattern = np.zeros(next_person, dtype=np.int64)
    np.bitwise_or.at(pattern, person, 1 << (wave - 1))
    taking_part = np.unique(person)
    return frame, pd.Series(pattern[taking_part], index=taking_part)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="people a wave, comma-separated"
    )
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--covariates", choices=("random", "stable"), default="random")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.covariates)))
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    runs = []
    for layout in args.layouts.split(","):
        for n in sizes:
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--covariates",
                    args.covariates,
                    "--child",
                    str(n),
                    layout,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    growth = {}
    for layout in args.layouts.split(","):
        mine = [run for run in runs if run["layout"] == layout]
        if len(mine) > 1:
            small, large = mine[0], mine[-1]
            scale = large["people_a_wave"] / small["people_a_wave"]
            growth[layout] = {
                "wall": round(large["seconds"] / small["seconds"] / scale, 2),
                "cpu": round(large["cpu_seconds"] / small["cpu_seconds"] / scale, 2),
            }
    print(json.dumps({"covariates": args.covariates, "runs": runs, "growth": growth}))


if __name__ == "__main__":
    main()
