"""Straightliners: the same answer down a long battery, or down several batteries.

Rule name: `straightliner`. Source: docs/methods.md section 2 (2.1 the
definitions of `longstring` and `irv` in the R package careless 1.2.2; 2.3 the
specification).

A battery is a page's select_one items sharing one choice list, at least 5 of them, in
display order. Per battery, as docs/methods.md 2.3.2-3 asks:
- longstring: the longest run of identical consecutive answers, absolute and relative to
  the battery's length. Where we differ from careless: an unanswered item is stepped over
  rather than breaking the run (R's `rle` splits at NA), so one skipped item does not hide
  the same answer down the rest of the grid.
- IRV: the standard deviation of the answered items with ddof=1, as R's `sd` (the PyPI
  port ier uses ddof=0, docs/methods.md 2.2).
A battery is straight when at most STRAIGHTLINER_MAX_SKIPPED (1) of its items are skipped
and every answered item is the same: longstring = items answered, which is IRV = 0 on the
numeric codes. (Longstring decides, as it needs no numeric codes; IRV is reported.) A
respondent is flagged when straight on at least 2 batteries (docs/methods.md 2.3.2), or on
one battery of at least STRAIGHTLINER_SINGLE_BATTERY_ITEMS (8) items, so a form with a
single long battery can flag too; a single 5-7-item battery stays below the flag unless the
configuration lowers that setting. The score is the share of batteries that are straight,
and the detail gives each battery's longstring and IRV. A wave with neither enough
batteries nor a long one says so in the run notes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from respondents.quality.config import CleaningConfig
from respondents.quality.frame import (
    MISSING_CODE,
    Battery,
    BoolArray,
    CodeMatrix,
    FloatArray,
    IntArray,
    RuleFlags,
    RuleOutcome,
    WaveFrame,
)

TOO_FEW_BATTERIES = (
    "straightliner: the questionnaire has {count} batteries of >= {items} items, fewer "
    "than the {needed} a flag needs, and none long enough to flag alone; no straightliner "
    "flags"
)


def longstring(codes: CodeMatrix, *, skip_unanswered: bool = False) -> IntArray:
    """careless::longstring per row: the longest run of equal, answered, adjacent items.

    With `skip_unanswered`, an unanswered item neither counts nor breaks the run.
    """
    rows, width = codes.shape
    run = np.zeros(rows, dtype=np.int64)
    best = np.zeros(rows, dtype=np.int64)
    previous = np.full(rows, MISSING_CODE, dtype=codes.dtype)
    # One pass per column (a battery has a handful), vectorised over respondents.
    for j in range(width):
        answered = codes[:, j] != MISSING_CODE
        same = answered & (codes[:, j] == previous)
        if skip_unanswered:
            run = np.where(answered, np.where(same, run + 1, 1), run)
            previous = np.where(answered, codes[:, j], previous)
        else:
            run = np.where(same, run + 1, answered.astype(np.int64))
            previous = codes[:, j]
        best = np.maximum(best, run)
    return np.asarray(best, dtype=np.int64)


def irv(values: FloatArray) -> FloatArray:
    """careless::irv per row: the SD of answered items with ddof=1 (NaN under 2 answers)."""
    counts = (~np.isnan(values)).sum(axis=1)
    means = np.where(counts > 0, np.nansum(values, axis=1) / np.maximum(counts, 1), np.nan)
    squares = np.nansum((values - means[:, None]) ** 2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 1, np.sqrt(squares / (counts - 1)), np.nan)


@dataclass(frozen=True)
class BatteryIndices:
    """Rows x batteries: longstring over answered items, items answered, IRV, straight."""

    longstring: IntArray
    answered: IntArray
    irv: FloatArray
    straight: BoolArray


def battery_indices(
    frame: WaveFrame, batteries: tuple[Battery, ...], *, max_skipped: int
) -> BatteryIndices:
    shape = (frame.size, len(batteries))
    runs = np.zeros(shape, dtype=np.int64)
    answered = np.zeros(shape, dtype=np.int64)
    spread = np.full(shape, np.nan)
    straight = np.zeros(shape, dtype=np.bool_)
    for b, battery in enumerate(batteries):
        columns = list(battery.columns)
        block = frame.codes[:, columns]
        runs[:, b] = longstring(block, skip_unanswered=True)
        answered[:, b] = (block != MISSING_CODE).sum(axis=1)
        spread[:, b] = irv(frame.values[:, columns])
        enough = answered[:, b] >= max(2, len(columns) - max_skipped)
        straight[:, b] = enough & (runs[:, b] == answered[:, b])
    return BatteryIndices(runs, answered, spread, straight)


def find_straightliners(frame: WaveFrame, config: CleaningConfig) -> RuleOutcome:
    found = straightliners(frame, config)
    if found.note:
        return RuleOutcome((RuleFlags.empty("straightliner"),), (found.note,))
    rows = np.flatnonzero(found.flagged)
    share = found.counts[rows] / len(found.batteries)
    return RuleOutcome(
        (
            RuleFlags(
                "straightliner",
                rows,
                share.astype(np.float64),
                _details(found.batteries, found.indices, rows, found.counts),
            ),
        )
    )


@dataclass(frozen=True)
class Straightliners:
    """Who the rule flags, with what it was judged on; or a note saying why nobody."""

    flagged: BoolArray
    batteries: tuple[Battery, ...]
    indices: BatteryIndices
    counts: IntArray  # straight batteries per row
    note: str


def straightliners(frame: WaveFrame, config: CleaningConfig) -> Straightliners:
    """The rule's verdict per row, with each battery's indices for the details."""
    batteries, long_enough, note = _judged_batteries(frame, config)
    found = battery_indices(frame, batteries, max_skipped=config.straightliner_max_skipped)
    counts = np.asarray(found.straight.sum(axis=1), dtype=np.int64)
    if note:
        return Straightliners(np.zeros(frame.size, dtype=np.bool_), batteries, found, counts, note)
    flagged = _verdict(found.straight, long_enough, config)
    return Straightliners(flagged, batteries, found, counts, "")


def straightliner_rows(frame: WaveFrame, config: CleaningConfig) -> BoolArray:
    """The rule's verdict per row without the indices (the duplicate rule reads it:
    straightliners answer alike without being one person). A battery is straight when
    enough of it is answered and its answered codes are all equal: longstring over
    answered items = items answered, found here from the row's lowest and highest code."""
    batteries, long_enough, note = _judged_batteries(frame, config)
    if note:
        return np.zeros(frame.size, dtype=np.bool_)
    straight = np.zeros((frame.size, len(batteries)), dtype=np.bool_)
    for b, battery in enumerate(batteries):
        block = frame.codes[:, list(battery.columns)]
        answered = block != MISSING_CODE
        count = answered.sum(axis=1)
        highest = block.max(axis=1)
        lowest = np.where(answered, block, np.iinfo(block.dtype).max).min(axis=1)
        enough = count >= max(2, len(battery.columns) - config.straightliner_max_skipped)
        straight[:, b] = enough & (lowest == highest)
    return _verdict(straight, long_enough, config)


def _judged_batteries(
    frame: WaveFrame, config: CleaningConfig
) -> tuple[tuple[Battery, ...], BoolArray, str]:
    batteries = tuple(
        b for b in frame.batteries if len(b.columns) >= config.straightliner_min_items
    )
    needed = config.straightliner_min_batteries
    single = config.straightliner_single_battery_items
    long_enough = np.array([len(b.columns) >= single for b in batteries], dtype=np.bool_)
    if len(batteries) < needed and not long_enough.any():
        note = TOO_FEW_BATTERIES.format(
            count=len(batteries), items=config.straightliner_min_items, needed=needed
        )
        return batteries, long_enough, note
    return batteries, long_enough, ""


def _verdict(straight: BoolArray, long_enough: BoolArray, config: CleaningConfig) -> BoolArray:
    counts = straight.sum(axis=1)
    flagged = (counts >= config.straightliner_min_batteries) | (straight & long_enough).any(axis=1)
    return np.asarray(flagged, dtype=np.bool_)


def _details(
    batteries: tuple[Battery, ...], found: BatteryIndices, rows: IntArray, counts: IntArray
) -> tuple[str, ...]:
    # Formatting the reason is per flagged row; the rule itself is the vectorised pass above.
    lengths = [len(b.columns) for b in batteries]
    out = []
    for row, count in zip(rows, counts[rows], strict=True):
        parts = [
            f"{battery.name} longstring {run}/{length} ({run / length:.2f}) "
            f"IRV {'n/a' if np.isnan(spread) else f'{spread:.2f}'}"
            for battery, length, run, spread in zip(
                batteries, lengths, found.longstring[row], found.irv[row], strict=True
            )
        ]
        out.append(
            f"straight (IRV = 0, longstring = items answered) on {count} of "
            f"{len(batteries)} batteries: " + "; ".join(parts)
        )
    return tuple(out)
