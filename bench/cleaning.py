"""Benchmark: cleaning 100,000 and 1,000,000 responses of 60 items (DESIGN.md target:
10^6 in under 60 s on 2 cores and under 4 GB).

Each size runs in a child process, so its peak memory (ru_maxrss) is its own. The child
generates a realistic wave (tests/respondents/quality/synthetic.py: correlated batteries,
skewed categorical items, lognormal page times, planted speeders, straightliners and three
kinds of duplicates), then times (a) the baseline: building the frame's code matrix from
the raw answers (one factorisation per item, what loading costs at least), and (b) all the
Django-free rules. Prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100_000, 1_000_000)


def child(n: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import pandas as pd

    from respondents.quality.config import CleaningConfig
    from respondents.quality.rules import run_rules
    from tests.respondents.quality.synthetic import generate_wave

    wave = generate_wave(n, seed=11)
    frame = wave.frame
    started = time.perf_counter()
    # Baseline: re-encode every item column as the loader does (pandas factorize).
    for j in range(frame.codes.shape[1]):
        pd.factorize(frame.codes[:, j].astype(np.int64))
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    report = run_rules(frame, CleaningConfig())
    seconds = time.perf_counter() - started
    found = {f.rule: f.rows.size for f in report.flags}
    return {
        "responses": frame.size,
        "items": frame.codes.shape[1] - 1,
        "seconds": round(seconds, 2),
        "baseline_seconds": round(baseline, 2),
        "ratio_to_baseline": round(seconds / baseline, 1) if baseline else 0.0,
        "rule_seconds": report.timings,
        "flags": found,
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        result = child(int(sys.argv[2]))
        # Peak resident memory of this process, in MB (Linux reports KB).
        result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(result))
        return
    runs = []
    for n in SIZES:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    largest = runs[-1]
    print(
        json.dumps(
            {
                "bench": "cleaning",
                "runs": runs,
                "target": "1,000,000 responses x 60 items: < 60 s, < 4096 MB",
                "meets_target": largest["seconds"] < 60 and largest["peak_mb"] < 4096,
            }
        )
    )


if __name__ == "__main__":
    main()
