"""Straightliners: the same answer down a battery, on several batteries.

Rule name: `straightliner`. Source: shared/reference/methods.md section 2 (2.1 the
definitions of `longstring` and `irv` in the R package careless 1.2.2; 2.3 the
specification).

A battery is a page's select_one items sharing one choice list, at least 5 of them, in
display order. Per battery: longstring (longest run of identical consecutive answers) and
IRV (the standard deviation of the answers with ddof=1, as R's `sd`; the PyPI port ier
uses ddof=0, methods.md 2.2). A battery is straightlined when every item is answered and
longstring equals its length, which is IRV = 0. A respondent is flagged when straight on at
least 2 batteries (methods.md 2.3.2); a wave with fewer batteries says so in the run notes.
"""

from __future__ import annotations

import numpy as np

from respondents.quality.config import CleaningConfig
from respondents.quality.frame import (
    MISSING_CODE,
    Battery,
    CodeMatrix,
    FloatArray,
    IntArray,
    RuleFlags,
    RuleOutcome,
    WaveFrame,
)

TOO_FEW_BATTERIES = (
    "straightliner: the questionnaire has {count} batteries of >= {items} items, fewer "
    "than the {needed} a flag needs; no straightliner flags"
)


def longstring(codes: CodeMatrix) -> IntArray:
    """careless::longstring per row: the longest run of equal, answered, adjacent items."""
    rows, width = codes.shape
    if width == 0:
        return np.zeros(rows, dtype=np.int64)
    answered = codes != MISSING_CODE
    run = answered[:, 0].astype(np.int64)
    best = run.copy()
    # One pass per column (a battery has a handful), vectorised over respondents.
    for j in range(1, width):
        same = answered[:, j] & (codes[:, j] == codes[:, j - 1]) & answered[:, j - 1]
        run = np.where(same, run + 1, answered[:, j].astype(np.int64))
        best = np.maximum(best, run)
    return np.asarray(best, dtype=np.int64)


def irv(values: FloatArray) -> FloatArray:
    """careless::irv per row: the SD of answered items with ddof=1 (NaN under 2 answers)."""
    counts = (~np.isnan(values)).sum(axis=1)
    means = np.where(counts > 0, np.nansum(values, axis=1) / np.maximum(counts, 1), np.nan)
    squares = np.nansum((values - means[:, None]) ** 2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 1, np.sqrt(squares / (counts - 1)), np.nan)


def straight_batteries(frame: WaveFrame, batteries: tuple[Battery, ...]) -> np.ndarray:
    """Rows x batteries: True where the respondent answered the whole battery identically."""
    result = np.zeros((frame.size, len(batteries)), dtype=np.bool_)
    for b, battery in enumerate(batteries):
        columns = list(battery.columns)
        block = frame.codes[:, columns]
        complete = (block != MISSING_CODE).all(axis=1)
        result[:, b] = complete & (longstring(block) == len(columns))
    return result


def find_straightliners(frame: WaveFrame, config: CleaningConfig) -> RuleOutcome:
    batteries = tuple(
        b for b in frame.batteries if len(b.columns) >= config.straightliner_min_items
    )
    needed = config.straightliner_min_batteries
    if len(batteries) < needed:
        note = TOO_FEW_BATTERIES.format(
            count=len(batteries), items=config.straightliner_min_items, needed=needed
        )
        return RuleOutcome((RuleFlags.empty("straightliner"),), (note,))
    straight = straight_batteries(frame, batteries)
    counts = straight.sum(axis=1)
    rows = np.flatnonzero(counts >= needed)
    names = np.array([b.name for b in batteries], dtype=object)
    share = counts[rows] / len(batteries)
    # Formatting the reason is per flagged row; the rule itself is the vectorised pass above.
    details = tuple(
        f"straight answers (longstring = length, IRV = 0) on {count} of {len(batteries)} "
        f"batteries: {', '.join(names[mask])}"
        for count, mask in zip(counts[rows], straight[rows], strict=True)
    )
    return RuleOutcome((RuleFlags("straightliner", rows, share.astype(np.float64), details),))
