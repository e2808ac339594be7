"""The wave as arrays: what every quality rule reads, and the flags each rule returns.

The loader (respondents/cleaning/loading.py) builds a WaveFrame from the database and the
benchmark builds one from generated data; the rules see only arrays, one row per response, so they
stay vectorised and free of Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
# Answer codes per item: equal answers share a code, -1 is "not answered".
CodeMatrix = npt.NDArray[np.int32]

MISSING_CODE = -1


@dataclass(frozen=True)
class Battery:
    """Items on one page sharing one choice list, in display order (columns of `codes`)."""

    name: str
    columns: tuple[int, ...]


@dataclass(frozen=True)
class AttentionCheck:
    """An item with an expected answer: its column in `codes` and the expected code."""

    name: str
    column: int
    expected_code: int


@dataclass(frozen=True)
class WaveFrame:
    """One row per response. Times are seconds; timestamps are seconds since the epoch."""

    response_ids: IntArray
    is_complete: BoolArray
    is_abandoned: BoolArray
    started_at: FloatArray
    completed_at: FloatArray  # NaN when not completed
    updated_at: FloatArray
    # Identity keys that mean "the same person" (panel member, invitation): -1 when absent.
    identity: dict[str, IntArray]
    # Device fingerprint factorised to integers: -1 when absent.
    fingerprint: IntArray
    honeypot_filled: BoolArray
    # Seconds per page (rows x pages), NaN for a page not seen.
    page_times: FloatArray
    page_names: tuple[str, ...]
    # Items on each page that a respondent answers (for per-item speed).
    page_item_counts: IntArray
    # Substantive closed answers as codes (rows x items) and ordinal values (NaN missing).
    codes: CodeMatrix
    values: FloatArray
    item_names: tuple[str, ...]
    # Columns of `codes` compared for duplicates (closed substantive items, no checks).
    match_columns: tuple[int, ...]
    batteries: tuple[Battery, ...] = ()
    attention_checks: tuple[AttentionCheck, ...] = ()
    # A grouping for RSI reference medians (the response language), -1 when unknown.
    language: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # The time the run looks from, for "stale" in-progress responses.
    now: float = 0.0
    # How details name a response to a researcher (its source_id, else its id).
    labels: npt.NDArray[np.object_] = field(default_factory=lambda: np.zeros(0, dtype=object))

    @property
    def size(self) -> int:
        return int(self.response_ids.shape[0])

    def label(self, rows: IntArray) -> npt.NDArray[np.object_]:
        if self.labels.size:
            return self.labels[rows]
        return self.response_ids[rows].astype(object)

    @property
    def answered_counts(self) -> IntArray:
        return np.asarray((self.codes != MISSING_CODE).sum(axis=1), dtype=np.int64)


@dataclass(frozen=True)
class RuleFlags:
    """The responses one rule flags: row positions in the frame, a score and a reason each."""

    rule: str
    rows: IntArray
    scores: FloatArray
    details: tuple[str, ...]

    def __post_init__(self) -> None:
        if not (len(self.rows) == len(self.scores) == len(self.details)):
            raise ValueError(f"{self.rule}: rows, scores and details differ in length")

    @classmethod
    def empty(cls, rule: str) -> RuleFlags:
        return cls(rule, np.zeros(0, dtype=np.int64), np.zeros(0), ())


@dataclass(frozen=True)
class RuleOutcome:
    """What a rule family found, plus notes for the run record (e.g. too few completes)."""

    flags: tuple[RuleFlags, ...]
    notes: tuple[str, ...] = ()
