"""Speeders: Leiner's Relative Speed Index, with whole-survey and per-page time rules.

Rule names: `speeder:rsi` (RSI), `speeder:total` (total duration), `speeder:page` (rapid
pages); `speeder` alone is the family, so an override on it covers all three.
Source: docs/methods.md section 1 (1.1 the RSI exactly as `completion.RSI3` in
Leiner 2019's R-Indicators.R; 1.2 and 1.3 the second opinions).

- RSI: m_j = median seconds on page j; s_ij = min(m_j / t_ij, 3); RSI_i = mean of s_ij over
  the pages i saw; flag RSI > 2.0. Medians come from completed responses only (SoSci's
  reference is the questionnaire's completed cases), per language when a language has
  enough completes on the page (docs/methods.md 1.3.2: page sets and reading speed differ), else
  from the whole wave. A page with fewer than 10 reference completes has no median and is
  left out of everyone's mean; the run notes say so. The detail gives n_reference, the
  completes behind the medians of the pages scored (docs/methods.md 1.3.2: "Store n_reference
  with the score"), as the range over those pages when it differs between them.
- Only completed responses are scored: a breakoff is flagged `incomplete` instead, and an
  in-progress response's speed is not yet known.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from respondents.quality.config import CleaningConfig
from respondents.quality.frame import FloatArray, IntArray, RuleFlags, RuleOutcome, WaveFrame

TOO_FEW_REFERENCE = (
    "speeder: page {page!r} has {count} completed timings, fewer than {needed}; "
    "it is left out of the RSI"
)
RSI_RULE = "speeder:rsi"
NO_RSI = "speeder: no page has {needed} completed timings yet; RSI not computed"
TOO_FEW_TOTAL = "speeder:total: {count} completes with a duration, fewer than {needed}; skipped"


def relative_speed_index(times: FloatArray, medians: FloatArray, *, cap: float = 3.0) -> FloatArray:
    """Leiner's RSI per row; `medians` is per page (1-D) or per row and page (2-D).

    A zero-second page gives m/0 = inf, clipped to the cap, as R does; a NaN time (page
    not seen) or NaN median (page without a reference) is left out of the mean. A row
    with no usable page gets NaN.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = np.minimum(medians / times, cap)
    usable = ~np.isnan(factors)
    counts = usable.sum(axis=1)
    sums = np.where(usable, factors, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def reference_medians(
    times: FloatArray, reference: IntArray, groups: IntArray, *, min_reference: int
) -> tuple[FloatArray, IntArray, npt.NDArray[np.int32]]:
    """Per-row page medians: the row's group median when that group has enough reference
    timings on the page, else the pooled median; NaN where even the pool has too few.
    Also returns the pooled count of reference timings per page, and per row and page the
    count behind the median used (n_reference; 0 where there is none)."""
    ref_times = times[reference]
    pooled_counts = (~np.isnan(ref_times)).sum(axis=0)
    pooled = _nanmedian_columns(ref_times)
    usable_pool = pooled_counts >= min_reference
    pooled = np.where(usable_pool, pooled, np.nan)
    medians = np.broadcast_to(pooled, times.shape).copy()
    n_reference = np.broadcast_to(
        np.where(usable_pool, pooled_counts, 0).astype(np.int32), times.shape
    ).copy()
    ref_groups = groups[reference]
    for group in np.unique(ref_groups[ref_groups >= 0]):
        group_times = ref_times[ref_groups == group]
        counts = (~np.isnan(group_times)).sum(axis=0)
        group_medians = _nanmedian_columns(group_times)
        usable = counts >= min_reference
        rows = groups == group
        medians[np.ix_(rows, usable)] = group_medians[usable]
        n_reference[np.ix_(rows, usable)] = counts[usable]
    return medians, np.asarray(pooled_counts, dtype=np.int64), n_reference


def _nanmedian_columns(matrix: FloatArray) -> FloatArray:
    if matrix.shape[0] == 0:
        return np.full(matrix.shape[1], np.nan)
    # An all-NaN column (a page nobody in the group saw) is an expected NaN, not a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmedian(matrix, axis=0), dtype=np.float64)


def find_speeders(frame: WaveFrame, config: CleaningConfig) -> RuleOutcome:
    notes: list[str] = []
    flags = [
        _rsi_flags(frame, config, notes),
        _total_flags(frame, config, notes),
        _rapid_page_flags(frame, config),
    ]
    return RuleOutcome(tuple(flags), tuple(notes))


def _rsi_flags(frame: WaveFrame, config: CleaningConfig, notes: list[str]) -> RuleFlags:
    reference = np.flatnonzero(frame.is_complete)
    groups = frame.language if frame.language.size else np.zeros(frame.size, dtype=np.int64)
    medians, counts, n_reference = reference_medians(
        frame.page_times, reference, groups, min_reference=config.speeder_min_reference
    )
    short = np.flatnonzero(counts < config.speeder_min_reference)
    if short.size == len(frame.page_names):
        notes.append(NO_RSI.format(needed=config.speeder_min_reference))
        return RuleFlags.empty(RSI_RULE)
    notes.extend(
        TOO_FEW_REFERENCE.format(
            page=frame.page_names[j], count=int(counts[j]), needed=config.speeder_min_reference
        )
        for j in short
    )
    rsi = relative_speed_index(frame.page_times, medians, cap=config.speeder_rsi_cap)
    scored = ~np.isnan(frame.page_times) & ~np.isnan(medians)
    rows = np.flatnonzero(frame.is_complete & (rsi > config.speeder_rsi_threshold))
    notes.append(rsi_sensitivity(rsi[frame.is_complete]))
    used = np.where(scored[rows], n_reference[rows], -1)
    low = np.where(scored[rows], n_reference[rows], np.iinfo(np.int32).max).min(axis=1)
    details = tuple(
        f"RSI {score:.2f} > {config.speeder_rsi_threshold:g} over {pages} pages "
        f"(n_reference {_range(int(lo), int(hi))} completes per page median)"
        for score, pages, lo, hi in zip(
            rsi[rows], scored[rows].sum(axis=1), low, used.max(axis=1, initial=-1), strict=True
        )
    )
    return RuleFlags(RSI_RULE, rows, rsi[rows], details)


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def total_durations(frame: WaveFrame) -> FloatArray:
    """completed - started; the sum of page times when a timestamp is missing."""
    elapsed = frame.completed_at - frame.started_at
    page_sum = np.where(
        np.isnan(frame.page_times).all(axis=1), np.nan, np.nansum(frame.page_times, axis=1)
    )
    return np.where(np.isnan(elapsed), page_sum, elapsed)


def _total_flags(frame: WaveFrame, config: CleaningConfig, notes: list[str]) -> RuleFlags:
    totals = total_durations(frame)
    reference = totals[frame.is_complete & ~np.isnan(totals)]
    if reference.size < config.speeder_min_reference:
        notes.append(
            TOO_FEW_TOTAL.format(count=reference.size, needed=config.speeder_min_reference)
        )
        return RuleFlags.empty("speeder:total")
    median = float(np.median(reference))
    share = totals / median if median > 0 else np.full(frame.size, np.nan)
    rows = np.flatnonzero(frame.is_complete & (share <= config.speeder_total_share))
    details = tuple(
        f"total {total:.0f} s is {ratio:.0%} of the median {median:.0f} s "
        f"(flag at <= {config.speeder_total_share:.0%})"
        for total, ratio in zip(totals[rows], share[rows], strict=True)
    )
    return RuleFlags("speeder:total", rows, share[rows], details)


def rapid_page_counts(frame: WaveFrame, seconds_per_item: float) -> tuple[IntArray, IntArray]:
    """Bowling et al.: pages under `seconds_per_item` per item, and pages seen, per row."""
    items = frame.page_item_counts.astype(np.float64)
    with np.errstate(invalid="ignore"):
        rapid = (frame.page_times / items) < seconds_per_item
    rapid &= items > 0
    seen = (~np.isnan(frame.page_times) & (items > 0)).sum(axis=1)
    return rapid.sum(axis=1).astype(np.int64), seen.astype(np.int64)


def _rapid_page_flags(frame: WaveFrame, config: CleaningConfig) -> RuleFlags:
    rapid, seen = rapid_page_counts(frame, config.speeder_page_seconds_per_item)
    needed = np.maximum(1, np.ceil(config.speeder_page_share * seen)).astype(np.int64)
    rows = np.flatnonzero(frame.is_complete & (seen > 0) & (rapid >= needed))
    share = rapid[rows] / np.maximum(seen[rows], 1)
    per_item = config.speeder_page_seconds_per_item
    details = tuple(
        f"{count} of {pages} pages under {per_item:g} s per item"
        for count, pages in zip(rapid[rows], seen[rows], strict=True)
    )
    return RuleFlags("speeder:page", rows, share.astype(np.float64), details)


def rsi_sensitivity(rsi: FloatArray, thresholds: tuple[float, ...] = (1.75, 2.0, 2.5)) -> str:
    """Counts above each threshold (docs/methods.md 1.3.2 asks for a 1.75-2.5 table)."""
    parts = [f"> {t:g}: {int(np.sum(rsi > t))}" for t in thresholds]
    return "RSI sensitivity " + ", ".join(parts)
