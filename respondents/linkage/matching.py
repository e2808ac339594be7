"""Linking open-link returners to earlier waves: Fellegi-Sunter with competition.

Rule (docs/methods.md 11). Each later response is compared with every earlier person on the
stable items. An item's comparison falls in a level: missing (no evidence either way), equal,
near (numeric codes one apart: a birthday between waves, a neighbouring scale point) or
different. A person seen in several earlier waves is compared with each of those answers and
keeps, per item, the best level: drift does not add up over waves (a birth year slipped in
wave 2 and back in wave 3, a move away and back), and a country someone named in any earlier
wave still counts. Chance agreement (u) is measured the same way, so a person with more
earlier answers does not look more alike than chance says.

Per level, m = P(level | same person) and u = P(level | different people); the evidence of
a pair is its likelihood ratio L = prod m/u. The u of "equal" is taken per value (term
frequency): agreeing on a rare birth year is stronger evidence than on a common sex.

A single pair's score is not evidence alone: a newcomer who resembles somebody scores high
against that person too. So each later response is a mixture: with probability rho it is a
returner, equally likely any of the N earlier people; otherwise a newcomer. Then

    P(returner, and is person j) = (rho/N) L_j / ((1 - rho) + (rho/N) sum_k L_k)

which weighs the best candidate against the second best and against how many candidates
there are, in one formula. m and rho are estimated by EM on the wave itself, u from random
pairs, so the same code works for a small study and a large one.

Django-free: the caller hands in the earlier people and the later responses as arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MISSING, DIFFERENT, NEAR, EQUAL = 0, 1, 2, 3
LEVELS = 4
# Later responses compared at once (CHUNK x earlier people comparisons per item).
CHUNK = 256
EM_ITERATIONS = 25
RANDOM_PAIRS = 200_000
# Starting guesses; EM moves them. m favours equality, rho assumes a third return.
START_M = (0.0, 0.05, 0.10, 0.85)
START_RHO = 0.3
# No probability is exactly 0 or 1: a level never seen in one class must not veto a pair.
FLOOR = 1e-4

# The posterior above which a link is suggested for accepting in bulk: at 5,000 people a
# wave it keeps wrong links under 1% (bench/linkage.py, bench/README.md).
SUGGESTED_ACCEPT = 0.9

ERROR_NO_ITEMS = "choose at least one stable item to compare"
ERROR_SHAPE = "the later and earlier answers must have the same {items} item columns"


@dataclass(frozen=True)
class ItemComparison:
    """How one stable item is compared: `numeric` codes allow the NEAR level."""

    name: str
    numeric: bool


@dataclass(frozen=True)
class Candidate:
    later_index: int
    earlier_index: int
    probability: float
    second_probability: float


@dataclass(frozen=True)
class LinkageModel:
    """What EM learned; the run notes print it."""

    m: dict[str, list[float]]
    u: dict[str, list[float]]
    returner_share: float
    iterations: int


def encode(values: Sequence[object]) -> tuple[npt.NDArray[np.float64], dict[object, int]]:
    """Categorical values as codes (NaN for missing), with the code book used."""
    codes: dict[object, int] = {}
    out = np.full(len(values), np.nan)
    for index, value in enumerate(values):
        if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
            continue
        out[index] = codes.setdefault(value, len(codes))
    return out, codes


def _levels(
    later: npt.NDArray[np.float64], earlier: npt.NDArray[np.float64], numeric: bool
) -> npt.NDArray[np.int8]:
    """Comparison levels of every (later, earlier) pair for one item."""
    return _pair_levels(np.abs(later[:, None] - earlier[None, :]), numeric)


def _pair_levels(diff: npt.NDArray[np.float64], numeric: bool) -> npt.NDArray[np.int8]:
    levels = np.full(diff.shape, DIFFERENT, dtype=np.int8)
    if numeric:
        levels[diff <= 1] = NEAR
    levels[diff == 0] = EQUAL
    levels[np.isnan(diff)] = MISSING
    return levels


def _holder_share(
    later: npt.NDArray[np.float64], history: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """For each later answer, the share of earlier people who gave that value in some wave
    (of those who answered the item at all): the chance a stranger agrees on it."""
    people = np.nonzero(~np.isnan(history))
    holders = np.unique(np.column_stack([history[people], people[1]]), axis=0)
    answered = len(np.unique(people[1]))
    shares = np.full(len(later), 1.0)
    if answered:
        values, counts = np.unique(holders[:, 0], return_counts=True)
        slot = np.minimum(np.searchsorted(values, later), len(values) - 1)
        known = values[slot] == later
        shares[known] = counts[slot[known]] / answered
    floored: npt.NDArray[np.float64] = np.maximum(shares, FLOOR)
    return floored


class Linker:
    """Scores later responses against earlier people on the items given.

    The comparison of every pair is computed once: its level on each item (int8) and its
    term-frequency adjustment (which does not depend on m). Each EM iteration is then one
    table lookup per item and pair.
    """

    def __init__(
        self,
        items: Sequence[ItemComparison],
        later: npt.NDArray[np.float64],
        earlier: npt.NDArray[np.float64],
        *,
        seed: int = 0,
    ) -> None:
        """`earlier` is one row of answers per person (people x items), or each person's
        answers in each earlier wave (waves x people x items, NaN where a person has no
        answers in that wave)."""
        if not items:
            raise ValueError(ERROR_NO_ITEMS)
        columns = len(items)
        history = earlier[None] if earlier.ndim == 2 else earlier
        if (
            later.ndim != 2
            or history.ndim != 3
            or not later.shape[1] == history.shape[2] == columns
        ):
            raise ValueError(ERROR_SHAPE.format(items=columns))
        self.items = list(items)
        self.later = later
        self.history = history
        self.people = history.shape[1]
        self.rng = np.random.default_rng(seed)
        self.u = self._estimate_u()
        self.m = np.tile(np.array(START_M), (columns, 1))
        self.rho = START_RHO
        self.iterations = 0
        self.levels, self.tf_adjust = self._compare_all()

    def _best_levels(
        self, later: npt.NDArray[np.float64], people: npt.NDArray[np.intp] | slice, f: int
    ) -> npt.NDArray[np.int8]:
        """The best level over each person's earlier answers (MISSING is the lowest, so a
        wave a person skipped never hides one they answered). An array of `people` pairs
        them with `later` one to one; a slice compares every later answer with each."""
        numeric = self.items[f].numeric
        best = np.zeros(
            len(later) if isinstance(people, np.ndarray) else (len(later), self.people),
            dtype=np.int8,
        )
        for wave in self.history:
            earlier = wave[people, f]
            if isinstance(people, np.ndarray):
                diff = np.abs(later - earlier)
            else:
                diff = np.abs(later[:, None] - earlier[None, :])
            np.maximum(best, _pair_levels(diff, numeric), out=best)
        return best

    def _estimate_u(self) -> npt.NDArray[np.float64]:
        """u per item and level from random (later, earlier) pairs: nearly all are strangers."""
        n_later, n_earlier = len(self.later), self.people
        pairs = min(RANDOM_PAIRS, n_later * n_earlier) if n_later and n_earlier else 0
        u = np.full((len(self.items), LEVELS), 1.0 / LEVELS)
        if not pairs:
            return u
        rows = self.rng.integers(0, n_later, pairs)
        cols = self.rng.integers(0, n_earlier, pairs)
        for f in range(len(self.items)):
            levels = self._best_levels(self.later[rows, f], cols, f)
            counts = np.bincount(levels, minlength=LEVELS)
            u[f] = np.maximum(counts / counts.sum(), FLOOR)
        return u

    def _compare_all(self) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
        shape = (len(self.items), len(self.later), self.people)
        levels = np.zeros(shape, dtype=np.int8)
        tf_adjust = np.zeros(shape[1:], dtype=np.float32)
        everyone = slice(None)
        for f in range(len(self.items)):
            # Agreement on value v: u is the share of earlier people holding v, not the
            # item's average agreement rate.
            share = _holder_share(self.later[:, f], self.history[:, :, f])
            bonus = (np.log(self.u[f, EQUAL]) - np.log(share)).astype(np.float32)
            for start in range(0, shape[1], CHUNK):
                rows = slice(start, start + CHUNK)
                block = self._best_levels(self.later[rows, f], everyone, f)
                levels[f, rows] = block
                tf_adjust[rows] += np.where(block == EQUAL, bonus[rows, None], 0)
        return levels, tf_adjust

    def _item_weights(self) -> npt.NDArray[np.float64]:
        """log m/u per item and level; a missing answer is no evidence either way."""
        weights: npt.NDArray[np.float64] = np.log(np.maximum(self.m, FLOOR) / self.u)
        weights[:, MISSING] = 0.0
        return weights

    def _posteriors(self, rows: slice, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """P(later i is earlier j) for a block of rows; a row sums to P(i is a returner)."""
        log_ratio = self.tf_adjust[rows].astype(np.float64)
        for f in range(len(self.items)):
            log_ratio += weights[f][self.levels[f, rows]]
        scaled = log_ratio + np.log(self.rho / self.people)
        newcomer = np.log(1 - self.rho)
        top = np.maximum(scaled.max(axis=1, keepdims=True), newcomer)
        numerators = np.exp(scaled - top)
        posterior: npt.NDArray[np.float64] = numerators / (
            np.exp(newcomer - top) + numerators.sum(axis=1, keepdims=True)
        )
        return posterior

    def _blocks(self) -> list[slice]:
        step = CHUNK * 8
        return [slice(start, start + step) for start in range(0, len(self.later), step)]

    def fit(self, iterations: int = EM_ITERATIONS) -> LinkageModel:
        """EM for m and the returner share, u fixed."""
        if len(self.later) and self.people:
            for _ in range(iterations):
                weights = self._item_weights()
                by_level = np.zeros((len(self.items), LEVELS))
                for rows in self._blocks():
                    posterior = self._posteriors(rows, weights).ravel()
                    for f in range(len(self.items)):
                        by_level[f] += np.bincount(
                            self.levels[f, rows].ravel(), weights=posterior, minlength=LEVELS
                        )
                returners = by_level[0].sum()
                self.rho = float(np.clip(returners / len(self.later), FLOOR, 1 - FLOOR))
                if returners > 0:
                    self.m = by_level / by_level.sum(axis=1, keepdims=True)
                self.iterations += 1
        return LinkageModel(
            m={item.name: self.m[f].round(4).tolist() for f, item in enumerate(self.items)},
            u={item.name: self.u[f].round(4).tolist() for f, item in enumerate(self.items)},
            returner_share=round(self.rho, 4),
            iterations=self.iterations,
        )

    def best_candidates(self) -> list[Candidate]:
        """Each later response's most probable earlier person, with the runner-up's chance."""
        found: list[Candidate] = []
        if not self.people:
            return found
        weights = self._item_weights()
        for rows in self._blocks():
            posterior = self._posteriors(rows, weights)
            ranked = np.argsort(-posterior, axis=1)[:, :2]
            first = posterior[np.arange(len(posterior)), ranked[:, 0]]
            second = (
                posterior[np.arange(len(posterior)), ranked[:, 1]]
                if ranked.shape[1] > 1
                else np.zeros(len(posterior))
            )
            start = rows.start or 0
            found.extend(
                Candidate(
                    later_index=start + offset,
                    earlier_index=int(ranked[offset, 0]),
                    probability=float(first[offset]),
                    second_probability=float(second[offset]),
                )
                for offset in range(len(posterior))
            )
        return found


def fixed_weight_scores(
    items: Sequence[ItemComparison],
    later: npt.NDArray[np.float64],
    earlier: npt.NDArray[np.float64],
    weights: Mapping[int, float],
) -> list[tuple[int, float]]:
    """The textbook baseline: fixed weights per level, each later response's best earlier
    person and score (for the benchmark that compares the two)."""
    best: list[tuple[int, float]] = []
    table = np.array([weights.get(level, 0.0) for level in range(LEVELS)])
    for start in range(0, len(later), CHUNK):
        chunk = later[start : start + CHUNK]
        total = np.zeros((len(chunk), len(earlier)))
        for f, item in enumerate(items):
            total += table[_levels(chunk[:, f], earlier[:, f], item.numeric)]
        index = total.argmax(axis=1)
        best.extend(zip(index.tolist(), total[np.arange(len(chunk)), index].tolist(), strict=True))
    return best
