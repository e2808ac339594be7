"""Look-alikes: how often two distinct responses come this close by chance, read off the wave.

A duplicate threshold is only as good as its estimate of chance look-alikes: how many pairs
of different people give nearly the same answers depends on the population (like-minded
people agree), the form (few items, few options) and sub-populations (straightliners answer
alike), none of which a formula over item shares sees. So the distribution is measured on
the wave itself (docs/methods.md 3.4):

- Counting. QUERY_ROWS distinct answer vectors, drawn at random, are compared with
  REFERENCE_ROWS others (every one in a wave up to that size): for each pair, the answers
  that differ over the items both answered, rescaled to the typical number of common items
  (`items`; exact when nobody skips). Counts come from two matrix products (one-hot answers,
  and answered-or-not), so 20 million pairs take a second or two.
- The counts per number of differing answers, times (pairs in the wave) / (pairs compared),
  are the chance pairs expected at each distance where the sample sees them.
- Closer than the sample sees, the tail is extrapolated from the lowest well-observed
  counts (the lowest bins holding ANCHOR_PAIRS pairs between them, and the FIT_BINS bins
  from there): a binomial shape fitted there, whose ratio between neighbouring counts
  shrinks as (d + 1) / (items - d), never rising as the distance falls. A count the sample
  does see below that point and above the extrapolation is kept: those are the look-alikes
  a binomial does not foresee (straightliners, a cluster of like-minded people).
- Near copies in the sample would teach the calibration that near copies are common. A
  copy stands alone: its original is far closer to it than anything else, while chance
  look-alikes thin out gradually. So a sampled response whose nearest other is COPY_GAP or
  more answers closer than its second nearest has that one pair set aside; set-aside pairs
  return where the tail fitted without them makes their number plausible (PLAUSIBLE).
  Where copies have company (a like-minded wave), they stay in and only raise the
  threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from respondents.quality.frame import MISSING_CODE, BoolArray, FloatArray, IntArray

Codes = npt.NDArray[np.signedinteger[Any]]

# 1,000 x 20,000 = 20 million pairs: the chance tail is observed down to about 1 pair in
# 10 million before it has to be extrapolated.
QUERY_ROWS = 1_000
REFERENCE_ROWS = 20_000
# Queries compared at once: bounds the pair matrices at about 200 x 20,000 x 4 bytes each.
QUERY_CHUNK = 200
# Items with more codes than this are compared directly instead of one-hot (a numeric item
# with hundreds of distinct values would make the one-hot matrix wide for little gain).
ONE_HOT_LEVELS = 32
# The extrapolation starts where the lowest bins hold this many pairs between them (fewer
# would let Poisson noise set the slope) and is fitted on FIT_BINS bins from there.
ANCHOR_PAIRS = 10
FIT_BINS = 4
# How fast the tail steepens toward identical answers: a binomial's ratio between
# neighbouring counts shrinks as (d + 1) / (items - d); real waves mix people more and less
# alike, whose tail steepens more slowly. Counted over every pair of 20,000 synthetic
# responses (tests/respondents/quality/synthetic.py: correlated batteries), the ratio shrank
# about as the square root of the binomial's: from 9 to 15 differing answers of 60 in a
# like-minded wave, from 15 to 18 of 37 in a varied one.
TAIL_SHAPE = 0.5
# A sampled response whose nearest other is at least this many answers closer than its
# second nearest is taken for a copy (or the original of one) and that pair left out: chance
# look-alikes thin out gradually (the nearest and second nearest of a response are usually
# within a couple of answers of each other), a copy stands alone.
COPY_GAP = 4
# ...unless the extrapolated tail gives a count as large as the suspects' at that distance
# this chance: then they are look-alikes that happen to stand alone (straightliners do).
PLAUSIBLE = 0.01


@dataclass(frozen=True)
class Lookalikes:
    """Pairs compared per number of differing answers, and what the tail model made of it."""

    items: int
    # Distinct responses the estimate speaks for (pairs in the wave: distinct*(distinct-1)/2).
    distinct: int
    queries: int
    references: int
    compared: int  # ordered pairs compared
    observed: IntArray  # pairs compared, by differing answers 0..items
    expected: FloatArray  # per pair compared: observed, or extrapolated below `anchor`
    nearest: IntArray  # per query, the differing answers to its nearest reference
    anchor: int  # extrapolated below this many differing answers
    fit_end: int  # fitted on anchor..fit_end
    left_out: int  # pairs left out as likely copies

    def chance_share(self) -> FloatArray:
        """Per number of differing answers D: the share of pairs with at most D."""
        return np.cumsum(self.expected) / max(self.compared, 1)

    def closest_share(self, share: float) -> int:
        """The fewest differing answers among the closest `share` of compared pairs."""
        reached = np.flatnonzero(np.cumsum(self.observed) >= share * self.compared)
        return int(reached[0]) if reached.size else self.items


def measure(
    codes: Codes,
    rng: np.random.Generator,
    *,
    min_common: int,
    apart: BoolArray | None = None,
) -> Lookalikes:
    """Look-alikes among `codes`, one row per distinct answer vector (at least two rows);
    pairs of two rows marked in `apart` are not counted (they are judged on their own)."""
    n = codes.shape[0]
    queries = np.sort(rng.choice(n, size=min(n, QUERY_ROWS), replace=False))
    references = np.sort(rng.choice(n, size=min(n, REFERENCE_ROWS), replace=False))
    # The typical number of items two responses both answered: distances are rescaled to it.
    answered = (codes[queries] != MISSING_CODE).sum(axis=1)
    items = max(int(np.median(answered)), 1)
    if apart is None:
        apart = np.zeros(n, dtype=np.bool_)
    observed, suspects, nearest = _compare(codes, queries, references, min_common, items, apart)
    expected, anchor, fit_end, left_out = _tail(observed, suspects, items)
    return Lookalikes(
        items=items,
        distinct=n,
        queries=queries.size,
        references=references.size,
        compared=int(observed.sum()),
        observed=observed,
        expected=expected,
        nearest=nearest[nearest >= 0],
        anchor=anchor,
        fit_end=fit_end,
        left_out=left_out,
    )


def _compare(
    codes: Codes,
    queries: IntArray,
    references: IntArray,
    min_common: int,
    items: int,
    apart: BoolArray,
) -> tuple[IntArray, IntArray, IntArray]:
    """Query x reference pairs with at least `min_common` items in common (self-pairs left
    out) counted by differing answers rescaled to `items`; of those, the suspected copies;
    and per query the rescaled distance to its nearest reference (-1 when none qualifies)."""
    narrow, offsets, width = _one_hot_layout(codes)
    wide = [j for j in range(codes.shape[1]) if j not in narrow]
    ref_codes = codes[references]
    ref_hot = _one_hot(ref_codes, narrow, offsets, width).T.copy()
    ref_answered = (ref_codes != MISSING_CODE).astype(np.float32).T.copy()
    observed = np.zeros(items + 1, dtype=np.int64)
    suspects = np.zeros(items + 1, dtype=np.int64)
    nearest = np.full(queries.size, -1, dtype=np.int64)
    # Where each query sits among the references (its self-pair), if it is one of them.
    position = np.searchsorted(references, queries)
    is_reference = references[np.minimum(position, references.size - 1)] == queries
    any_apart = bool(apart.any())
    for start in range(0, queries.size, QUERY_CHUNK):
        rows = queries[start : start + QUERY_CHUNK]
        picked = np.arange(rows.size)
        query_codes = codes[rows]
        # Float32 sums of 0/1 over at most a few thousand items are exact.
        common = (query_codes != MISSING_CODE).astype(np.float32) @ ref_answered
        differ = common - _one_hot(query_codes, narrow, offsets, width) @ ref_hot
        for j in wide:
            a, b = query_codes[:, j, None], ref_codes[None, :, j]
            differ -= (a == b) & (a != MISSING_CODE)
        keep = common >= min_common
        own = is_reference[start : start + rows.size]
        keep[picked[own], position[start : start + rows.size][own]] = False
        if any_apart:
            keep &= ~(apart[rows][:, None] & apart[references][None, :])
        if not (common == items).all():
            # Rescaled to `items` common answers, so a skipped item does not count as different.
            differ *= items
            differ /= np.maximum(common, 1.0)
            differ += 0.5
            np.floor(differ, out=differ)
            np.minimum(differ, items, out=differ)
        distance = differ.astype(np.int16)
        observed += np.bincount(distance[keep], minlength=items + 1)
        distance[~keep] = items + 1
        # The nearest and the second nearest: the minimum, then the minimum without it.
        nearest_at = distance.argmin(axis=1)
        closest = distance[picked, nearest_at].astype(np.int64)
        distance[picked, nearest_at] = items + 1
        second = distance.min(axis=1).astype(np.int64)
        nearest[start : start + rows.size] = np.where(closest <= items, closest, -1)
        # A response whose nearest other is far closer than its second: likely a copy and
        # its original, whose distance says nothing about chance.
        copy = (closest <= items) & (closest + COPY_GAP <= second)
        suspects += np.bincount(closest[copy], minlength=items + 1)
    return observed, suspects, nearest


def _one_hot_layout(codes: Codes) -> tuple[list[int], list[int], int]:
    narrow: list[int] = []
    offsets: list[int] = []
    width = 0
    for j in range(codes.shape[1]):
        levels = int(codes[:, j].max()) + 1 if codes.shape[0] else 0
        if levels <= ONE_HOT_LEVELS:
            narrow.append(j)
            offsets.append(width)
            width += max(levels, 0)
    return narrow, offsets, width


def _one_hot(
    codes: Codes, narrow: list[int], offsets: list[int], width: int
) -> npt.NDArray[np.float32]:
    hot = np.zeros((codes.shape[0], width), dtype=np.float32)
    rows = np.arange(codes.shape[0])
    for j, offset in zip(narrow, offsets, strict=True):
        column = codes[:, j].astype(np.int64)
        answered = column != MISSING_CODE
        hot[rows[answered], offset + column[answered]] = 1.0
    return hot


def _tail(observed: IntArray, suspects: IntArray, items: int) -> tuple[FloatArray, int, int, int]:
    """Expected pairs compared per number of differing answers (module docstring); the
    anchor, the last bin fitted, and the suspected copies left out."""
    counts = (observed - suspects).astype(np.float64)
    if not observed.any():
        return counts, 0, 0, 0
    reached = np.flatnonzero(np.cumsum(counts) >= ANCHOR_PAIRS)
    anchor = int(reached[0]) if reached.size else int(np.argmax(observed))
    fit = np.arange(anchor, min(anchor + FIT_BINS, items + 1))
    fit = fit[counts[fit] > 0]
    model = _extrapolated(counts, fit, anchor, items)
    # Suspects as many as the tail makes plausible (a lone pair where the tail expects a
    # few tenths: straightliners, say) are chance look-alikes after all.
    left_out = 0
    for d in np.flatnonzero(suspects):
        if _poisson_at_least(int(suspects[d]), float(model[d])) >= PLAUSIBLE:
            counts[d] += suspects[d]
        else:
            left_out += int(suspects[d])
    expected = np.maximum(_extrapolated(counts, fit, anchor, items), counts)
    return expected, anchor, int(fit[-1]) if fit.size else anchor, left_out


def _extrapolated(counts: FloatArray, fit: IntArray, anchor: int, items: int) -> FloatArray:
    """`counts` from `anchor` up; below it, the tail shape fitted on the bins `fit`."""
    log_choose = np.array(
        [
            math.lgamma(items + 1) - math.lgamma(d + 1) - math.lgamma(items - d + 1)
            for d in range(items + 1)
        ]
    )
    # log count - TAIL_SHAPE * log C(items, d) is linear in d; a binomial has slope
    # log(q / (1 - q)) with TAIL_SHAPE 1.
    if fit.size >= 2:
        weights = np.sqrt(counts[fit])
        design = np.vstack([np.ones(fit.size), fit]).T * weights[:, None]
        target = (np.log(counts[fit]) - TAIL_SHAPE * log_choose[fit]) * weights
        slope: float | None = float(np.linalg.lstsq(design, target, rcond=None)[0][1])
    else:
        slope = None  # nothing to fit: a flat tail, the cautious guess
    model = np.zeros(items + 1)
    model[anchor:] = counts[anchor:]
    level = counts[anchor]
    for d in range(anchor - 1, -1, -1):
        # f(d) / f(d + 1): ((d + 1) / (items - d)) ** TAIL_SHAPE * exp(-slope), at most 1.
        ratio = 1.0 if slope is None else ((d + 1) / (items - d)) ** TAIL_SHAPE * math.exp(-slope)
        level *= min(ratio, 1.0)
        model[d] = level
    return model


def _poisson_at_least(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if mean <= 0:
        return 0.0 if k > 0 else 1.0
    below = sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - below)
