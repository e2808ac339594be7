"""The disclosure-risk report that goes with every export.

Measures (docs/methods.md 5.1, sdcMicro without weights; 5.6 step 4 and step 8):
- f_k: how many released rows share a row's combination of quasi-identifier values (within
  each wave in the long layout); k reached = min f_k;
- individual risk r_i = 1 / f_k; sample uniques = rows with f_k = 1;
- expected re-identifications ER = sum of r_i; global risk = ER / n, compared with
  sdcMicro's default max_global_risk of 0.01;
- suppressions per variable (coarsening and local suppression), and the further
  suppressions made to bring the global risk within the limit;
- the release gate (docs/methods.md 5.6 step 4): passed when k is reached and ER/n is within
  the limit; assembly suppresses further first (kanon.reduce_global_risk), so a failed gate
  means even that could not reach the limit (too few rows per group), and the files are
  then pseudonymised personal data, not anonymous (docs/methods.md 6.5): the report says so;
- free-text scrubbing: how many findings of each kind were replaced;
- the code version that built the release (docs/methods.md 5.6 step 8).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from exports.anonymise.kanon import class_sizes

MAX_GLOBAL_RISK = 0.01
REPORT_VERSION = 2
GATE_FAILED = (
    "NOT ANONYMOUS: the release gate failed ({reasons}); treat these files as pseudonymised "
    "personal data (docs/methods.md 6.5) and do not pass them on"
)
GATE_PASSED = "k-anonymous and within the global-risk limit"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@cache
def code_version(root: Path = PROJECT_ROOT) -> str:
    """The project's version and, in a git checkout, its commit."""
    try:
        version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        version = "unknown"
    return f"panelwave {version}" + (f" ({commit})" if (commit := _commit(root)) else "")


def _commit(root: Path) -> str:
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]
        ref = head[5:]
        if (git / ref).exists():
            return (git / ref).read_text().strip()[:12]
        packed = (git / "packed-refs").read_text()
    except OSError:
        return ""
    found = re.search(rf"^([0-9a-f]{{40}}) {re.escape(ref)}$", packed, re.MULTILINE)
    return found.group(1)[:12] if found else ""


def disclosure_report(
    frame: pd.DataFrame,
    quasi: Sequence[str],
    *,
    k: int,
    group: str | None,
    suppressions: Mapping[str, int],
    coarsening: Mapping[str, Sequence[str]],
    risk_suppressions: Mapping[str, int] | None = None,
    max_global_risk: float = MAX_GLOBAL_RISK,
    scrubbed: Mapping[str, int] | None = None,
    group_label: str | None = None,
) -> dict[str, Any]:
    rows = len(frame)
    sizes = class_sizes(frame, quasi, group) if rows else pd.Series(dtype="int64")
    risk = 1.0 / sizes if rows else pd.Series(dtype="float64")
    expected = float(risk.sum())
    k_reached = int(sizes.min()) if rows else None
    global_risk = expected / rows if rows else 0.0
    failures = []
    if k_reached is not None and k_reached < k:
        failures.append(f"k reached {k_reached} < {k}")
    if global_risk > max_global_risk:
        failures.append(f"global risk ER/n {global_risk:.4f} > {max_global_risk:g}")
    return {
        "report_version": REPORT_VERSION,
        "code_version": code_version(),
        "release_gate": {
            "passed": not failures,
            "failures": failures,
            "verdict": GATE_FAILED.format(reasons="; ".join(failures)) if failures else GATE_PASSED,
        },
        "rows": rows,
        "k_required": k,
        "k_reached": k_reached,
        "k_anonymous": k_reached is None or k_reached >= k,
        "quasi_identifiers": list(quasi),
        "checked_within": group_label or group or "the whole export",
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
        "global_risk": round(global_risk, 6),
        "max_global_risk": max_global_risk,
        "global_risk_within_limit": global_risk <= max_global_risk,
        "suppressions": dict(suppressions),
        "risk_suppressions": dict(risk_suppressions or {}),
        "scrubbed": dict(scrubbed or {}),
        "coarsening": {name: list(notes) for name, notes in coarsening.items()},
        "note": (
            "Risk without sampling weights (r = 1/f_k): a release of a sample of an unknown "
            "population; a suppressed value counts as its own value."
        ),
    }
