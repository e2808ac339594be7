"""The disclosure-risk report that goes with every export.

Measures (methods.md 5.1, sdcMicro without weights; 5.6 step 4 and step 8):
- f_k: how many released rows share a row's combination of quasi-identifier values (within
  each wave in the long layout); k reached = min f_k;
- individual risk r_i = 1 / f_k; sample uniques = rows with f_k = 1;
- expected re-identifications ER = sum of r_i; global risk = ER / n, compared with
  sdcMicro's default max_global_risk of 0.01;
- suppressions per variable (coarsening and local suppression).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from exports.anonymise.kanon import class_sizes

MAX_GLOBAL_RISK = 0.01
REPORT_VERSION = 1


def disclosure_report(
    frame: pd.DataFrame,
    quasi: Sequence[str],
    *,
    k: int,
    group: str | None,
    suppressions: Mapping[str, int],
    coarsening: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    rows = len(frame)
    sizes = class_sizes(frame, quasi, group) if rows else pd.Series(dtype="int64")
    risk = 1.0 / sizes if rows else pd.Series(dtype="float64")
    expected = float(risk.sum())
    k_reached = int(sizes.min()) if rows else None
    return {
        "report_version": REPORT_VERSION,
        "rows": rows,
        "k_required": k,
        "k_reached": k_reached,
        "k_anonymous": k_reached is None or k_reached >= k,
        "quasi_identifiers": list(quasi),
        "checked_within": group or "the whole export",
        "equivalence_classes": int(
            frame.groupby([*([group] if group else []), *quasi], dropna=False).ngroups
        )
        if rows and (quasi or group)
        else (1 if rows else 0),
        "sample_uniques": int((sizes == 1).sum()) if rows else 0,
        "individual_risk": {
            "max": float(risk.max()) if rows else 0.0,
            "mean": float(risk.mean()) if rows else 0.0,
            "rows_above_0_1": int((risk > 0.1).sum()) if rows else 0,
        },
        "expected_reidentifications": round(expected, 6),
        "global_risk": round(expected / rows, 6) if rows else 0.0,
        "max_global_risk": MAX_GLOBAL_RISK,
        "global_risk_within_limit": (expected / rows if rows else 0.0) <= MAX_GLOBAL_RISK,
        "suppressions": dict(suppressions),
        "coarsening": {name: list(notes) for name, notes in coarsening.items()},
        "note": (
            "Risk without sampling weights (r = 1/f_k): a release of a sample of an unknown "
            "population; a suppressed value counts as its own value."
        ),
    }
