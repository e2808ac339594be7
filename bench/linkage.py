"""Benchmark: linking open-link returners on a synthetic 3-wave panel of 5,000 people a wave.

The panel (tests/respondents/linkage_panel.py): 5,000 people in wave 1; wave 2 holds 1,500
returners who came back through the open link without any contact, with stable answers that
drift as people's do (a slipped birth year or month, a finished degree, a move to another
country) and opinions that mostly hold, mixed with 3,500 newcomers drawn from the same
population; wave 3 holds 1,500 returners from waves 1 and 2 (drifted again) among 3,500
newcomers, compared with the 8,500 people seen before, each by every earlier answer of theirs
(the best level per item over their waves; respondents/linkage/matching.py).
Compared on six stable items and ten opinions. Waves 2 and 3 are linked in turn.

Three figures, side by side:
- the model (respondents/linkage/matching.py) at the suggested threshold: the share of
  accepted links that are wrong (a newcomer linked to anyone counts as wrong), and the share
  of returners whose stable answers single them out who are found;
- a textbook Fellegi-Sunter linker with fixed weights (equal +2, near +0.5, different -2),
  comparing with each person's latest answers only, at its most permissive threshold that
  keeps wrong links at 1% or fewer: its recall;
- seconds and CPU seconds of the model's fit and scoring.

Prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from respondents.linkage.matching import (
    DIFFERENT,
    EQUAL,
    NEAR,
    SUGGESTED_ACCEPT,
    Linker,
    fixed_weight_scores,
)
from tests.respondents.linkage_panel import ITEMS, OPINIONS, make_three_wave_panel

COMPARED = ITEMS + OPINIONS


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rates(panel, best, accepted) -> tuple[float, float, int]:
    truth = panel.truth
    singled = (truth >= 0) & panel.singled_out[np.maximum(truth, 0)]
    wrong = accepted & (best != truth)
    found = accepted & (best == truth) & singled
    return (
        float(wrong.sum() / max(accepted.sum(), 1)),
        float(found.sum() / singled.sum()),
        int(accepted.sum()),
    )


def _measure(panel: Any) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), _cpu()
    linker = Linker(COMPARED, panel.later, panel.history)
    model = linker.fit()
    candidates = linker.best_candidates()
    seconds, cpu_seconds = time.perf_counter() - wall, _cpu() - cpu
    best = np.array([c.earlier_index for c in candidates])
    probability = np.array([c.probability for c in candidates])
    wrong, recall, accepted = _rates(panel, best, probability >= SUGGESTED_ACCEPT)
    scores = fixed_weight_scores(
        COMPARED, panel.later, panel.earlier, {EQUAL: 2.0, NEAR: 0.5, DIFFERENT: -2.0}
    )
    fixed_best = np.array([index for index, _ in scores])
    fixed_score = np.array([score for _, score in scores])
    fixed_recall, fixed_threshold = 0.0, None
    for threshold in sorted(set(fixed_score.tolist())):
        fixed_wrong, found, _ = _rates(panel, fixed_best, fixed_score >= threshold)
        if fixed_wrong <= 0.01:
            fixed_recall, fixed_threshold = found, threshold
            break
    return {
        "earlier_people": len(panel.earlier),
        "later_responses": len(panel.later),
        "returners": int((panel.truth >= 0).sum()),
        "threshold": SUGGESTED_ACCEPT,
        "accepted": accepted,
        "wrong_link_share": round(wrong, 4),
        "recall_singled_out": round(recall, 4),
        "fixed_weights_recall_at_1pct_wrong": round(fixed_recall, 4),
        "fixed_weights_threshold": fixed_threshold,
        "returner_share_estimated": model.returner_share,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
    }


def main() -> None:
    second, third = make_three_wave_panel(people=5000, returners=1500)
    figures: dict[str, Any] = {
        "bench": "linkage",
        "wave_2": _measure(second),
        "wave_3": _measure(third),
    }
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
