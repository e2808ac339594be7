"""The disclosure-risk report that goes with every export.

Measures (docs/methods.md 5.1, 5.6 steps 4 and 8), over people (the unit of k-anonymity,
exports/anonymise/units.py):
- f_k: how many people share a person's released quasi-identifier values; k reached =
  min f_k; sample uniques = people with f_k = 1;
- individual risk: without a declared population, r_i = 1 / f_k (sdcMicro without
  weights), and ER = sum r_i is reported as an upper bound, not a gate: without weights
  ER is the number of classes, so ER/n <= 0.01 would demand classes of 100 on average;
  with the study's declared population size N, weights w = N/n give F_k = f_k N / n and
  r from sdcMicro's approximations, and ER/n is gated against the limit;
- per quasi-identifier: the recoding chosen, the rows whose value was suppressed, and
  that as a share of the rows holding an answer;
- the release gate: passed when k is reached (and ER/n is within the limit where it
  applies); a failed gate means the files are pseudonymised personal data, not anonymous;
- free-text scrubbing: how many findings of each kind were replaced;
- the code version that built the release.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from exports.anonymise.limits import MAX_GLOBAL_RISK as MAX_GLOBAL_RISK  # re-exported

if TYPE_CHECKING:
    from exports.anonymise.kanon import Anonymised

REPORT_VERSION = 3
GATE_FAILED = (
    "NOT ANONYMOUS: the release gate failed ({reasons}); treat these files as pseudonymised "
    "personal data (docs/methods.md 6.5) and do not pass them on"
)
GATE_PASSED = "k-anonymous: every person shares their quasi-identifier values with {others}"
GATE_RESTRICTED = (
    "RESTRICTED: quasi-identifiers not recoded or suppressed, for the study team's own "
    "analysis; pseudonymised personal data, never to be passed on"
)
CHECKED_WITHIN = {
    "long": "people, over their values across the waves of the export",
    "wide": "people who took part in the same waves",
}
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
    sizes: np.ndarray,
    quasi: Sequence[str],
    *,
    k: int,
    rows: int,
    layout: str,
    anonymised: Anonymised | None,
    population: int | None = None,
    max_global_risk: float = MAX_GLOBAL_RISK,
    scrubbed: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    people = len(sizes)
    risk = individual_risk(sizes, population)
    expected = float(risk.sum())
    k_reached = int(sizes.min()) if people else None
    global_risk = expected / people if people else 0.0
    gated = population is not None
    failures = []
    if k_reached is not None and k_reached < k:
        failures.append(f"k reached {k_reached} < {k}")
    if gated and global_risk > max_global_risk:
        failures.append(f"global risk ER/n {global_risk:.4f} > {max_global_risk:g}")
    suppressions = dict(anonymised.suppressed) if anonymised else dict.fromkeys(quasi, 0)
    answered = dict(anonymised.answered) if anonymised else dict.fromkeys(quasi, 0)
    return {
        "report_version": REPORT_VERSION,
        "code_version": code_version(),
        "release_gate": {
            "passed": not failures,
            "failures": failures,
            "verdict": GATE_FAILED.format(reasons="; ".join(failures))
            if failures
            else GATE_PASSED.format(others=_others(k)),
        },
        "restricted": False,
        "rows": rows,
        "people": people,
        "k_required": k,
        "k_reached": k_reached,
        "k_anonymous": k_reached is None or k_reached >= k,
        "quasi_identifiers": list(quasi),
        "checked_within": CHECKED_WITHIN.get(layout, layout),
        "equivalence_classes": _classes(sizes) if people else 0,
        "sample_uniques": int((sizes == 1).sum()),
        "individual_risk": {
            "max": float(risk.max()) if people else 0.0,
            "mean": float(risk.mean()) if people else 0.0,
            "people_above_0_1": int((risk > 0.1).sum()),
        },
        "population_size": population,
        "expected_reidentifications": round(expected, 6),
        "global_risk": round(global_risk, 6),
        "global_risk_gated": gated,
        "max_global_risk": max_global_risk,
        "global_risk_within_limit": global_risk <= max_global_risk if gated else None,
        "suppressions": suppressions,
        "answered": answered,
        "suppressed_share": {
            name: round(suppressions.get(name, 0) / answered[name], 6)
            if answered.get(name)
            else 0.0
            for name in quasi
        },
        "recoding_level": dict(anonymised.levels) if anonymised else {},
        "generalised": dict(anonymised.generalised) if anonymised else {},
        "scrubbed": dict(scrubbed or {}),
        "coarsening": {
            name: list(notes) for name, notes in (anonymised.notes if anonymised else {}).items()
        },
        "note": (
            "Risk without sampling weights (r = 1/f_k, ER an upper bound) unless the study "
            "declares its population size; a suppressed value counts as its own value."
        ),
    }


def _others(k: int) -> str:
    return f"at least {k - 1} other{'s' if k != 2 else ''} (k = {k})"


def _classes(sizes: np.ndarray) -> int:
    # A class of size f holds f people, so the classes number sum(1 / f_k).
    return round(float((1.0 / sizes).sum()))


def individual_risk(sizes: np.ndarray, population: int | None) -> np.ndarray:
    """r_i per person: 1 / f_k, or sdcMicro's approximations with weights N / n."""
    sizes = sizes.astype(np.float64)
    people = len(sizes)
    if people == 0:
        return np.zeros(0)
    if population is None or population <= people:
        return 1.0 / sizes
    p = people / population
    odds = p / (1.0 - p)
    log = math.log(1.0 / p)
    return np.where(
        sizes == 1,
        odds * log,
        np.where(sizes == 2, odds - odds**2 * log, p / (sizes - (1.0 - p))),
    )


def restricted_report(quasi: Sequence[str], *, rows: int, k: int) -> dict[str, Any]:
    """The report of a restricted release: nothing recoded, nothing suppressed, no gate."""
    return {
        "report_version": REPORT_VERSION,
        "code_version": code_version(),
        "release_gate": {
            "passed": False,
            "failures": ["restricted release"],
            "verdict": GATE_RESTRICTED,
        },
        "restricted": True,
        "rows": rows,
        "k_required": k,
        "k_reached": None,
        "k_anonymous": False,
        "quasi_identifiers": list(quasi),
        "suppressions": dict.fromkeys(quasi, 0),
        "suppressed_share": dict.fromkeys(quasi, 0.0),
        "recoding_level": {},
        "scrubbed": {},
        "coarsening": {},
    }
