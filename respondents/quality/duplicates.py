"""Duplicates: the same person twice, the same device twice, the same answers twice.

Rule names: `duplicate:person`, `duplicate:device`, `duplicate:exact`, `duplicate:near`.
Source: docs/methods.md section 3 (3.2 Kuriakose & Robbins' percent match and
Pew's critique; 3.4 the specification).

- person: the same panel member or invitation (imported panel keys resolve to members, one
  per key and study) more than once in the wave.
- answers: percent match = identical answers / items both answered, over closed
  substantive items (attention checks excluded: every attentive person gives the same
  answer there). A pair is a duplicate when its match reaches the *uncorroborated*
  threshold, or the *corroborated* one and the two share a device fingerprint or started
  within 10 minutes. It is `duplicate:device` when the fingerprint is shared, `exact` when
  every common item matches, else `near`.
- Thresholds: Kuriakose & Robbins' 0.85 is only the floor. Pew (2016) showed it flags
  look-alikes in homogeneous populations, so each threshold is raised until fewer than
  DUPLICATE_NULL_ALPHA chance pairs are expected above it among the pairs it is applied to.
  There are three budgets, each judged on its own: all pairs (uncorroborated), pairs
  sharing a device fingerprint, and pairs starting within the window. (One budget for the
  last two would let start-window pairs, which grow as n^2, raise the bar for fingerprint
  evidence, which does not.) How many chance pairs a threshold lets through is read off the
  wave itself (respondents/quality/lookalikes.py): sampled distinct responses are compared
  with thousands of others, the pairs are counted by the number of answers that differ, and
  the tail closer than the sample sees is extrapolated from the lowest counts it does see.
  A like-minded population, a short form or a crowd of straightliners fills that tail, and
  the thresholds rise by themselves; a varied one leaves it empty, and a pair differing in
  one or two of 30+ answers is flagged without corroboration. A threshold lets a pair with
  at most D differing answers (of the typical number both answered) through, for the
  largest D whose expected chance pairs stay within the budget; never below the floor.
  The calibration must not be moved by the duplicates it is looking for: it runs on
  distinct answer vectors only (a mass of identical submissions counts once), and near
  copies caught in its sample, apart from the chance tail, are left out. When even an
  exact match is expected by chance, only corroborated pairs are flagged. The run notes
  say, per budget, how many equal answers a pair needs and how many chance pairs that
  lets through, and what the sample saw.
- Candidates (never all pairs): identical vectors by exact hashing; locality-sensitive
  hashing on bands of items (rows that agree exactly on every item of a band meet), with
  the band width chosen so a random pair meets with probability about 1/n; every pair
  sharing a fingerprint in a block of at most FINGERPRINT_ALL_PAIRS responses, and in
  larger blocks (a shared network) the same banded hashing inside the block, with bands
  narrow enough that a random pair in it meets with probability about 1/(block size); and
  pairs starting within the window: all of them while they are at most
  WINDOW_CANDIDATES_PER_ROW per response, else (the normal case in a large wave) the same
  banded hashing inside start-time buckets, with bands narrow enough that a random pair in
  a bucket meets with probability about 1/(bucket size); the run notes say so.
- Resolution (docs/methods.md 3.4.4): pairs form clusters; in each, the first complete response
  (earliest completion, then earliest start) stays unflagged and the others are flagged,
  so exactly one of a duplicate pair stays unflagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from respondents.quality.config import CleaningConfig
from respondents.quality.frame import (
    MISSING_CODE,
    BoolArray,
    CodeMatrix,
    FloatArray,
    IntArray,
    RuleFlags,
    RuleOutcome,
    WaveFrame,
)
from respondents.quality.lookalikes import COPY_GAP, Lookalikes, measure
from respondents.quality.straightlining import straightliner_rows

# Answer codes compared for equality only: int16 when they fit, else int32.
Codes = npt.NDArray[np.signedinteger[Any]]

# LSH bands: with a band met by chance at about 1/n, 20 bands find a pair matching on 90%
# of items with probability >= 0.99 up to a million responses (0.9^13 per band, 20 bands).
LSH_BANDS = 20
# Pairs whose match share is computed at once: bounds memory at about pairs x items bytes.
PAIR_CHUNK = 200_000
# Start-window pairs are all compared while they stay within this many per response; beyond
# that (about 500 per response in a 10^6-row wave over two weeks) they are searched by LSH
# inside start-time buckets, which keeps the candidates linear in n.
WINDOW_CANDIDATES_PER_ROW = 50
# Bands per bucket layer for the start-window search. Bands are about 7 items wide at 10^6
# responses, so a pair matching on 85% of items meets in one band with p ~ 0.32; a pair in
# one shared bucket is missed with p ~ 0.02 (10 bands), in both layers with p ~ 4e-4. Pairs
# matching on 90% or more are also found by the wave-wide bands, in a varied population: in
# a like-minded one (modal answer 85%) the wave-wide bands are about 20 items wide at 10^6
# and miss a copy with 6 of 60 answers changed (90% match) with p ~ 0.2, the bucket bands
# (about 11 items) with p ~ 0.03 per layer; so this pass is not skipped when the start-window
# threshold is high. Nor are its bands cut: 5 instead of 10 find 97% instead of 100% of the
# copies in tests/respondents/quality/test_duplicates.py's start-bucket test. The pass costs
# about a quarter of the duplicate search (1.6 of 6.4 s at 530,000 responses; bench/README.md).
WINDOW_BANDS = 10
# Responses sharing a fingerprint are all compared in blocks up to this size (each with at
# most 50 others, as WINDOW_CANDIDATES_PER_ROW); a larger block, a network many share (a
# carrier's NAT, a campus, a VPN exit), is searched by hashing inside the block with
# FINGERPRINT_BANDS bands. All pairs of 5,000 blocks of 200 were 99.5 million candidates at
# 10^6 responses (bench/README.md).
FINGERPRINT_ALL_PAIRS = 51
# Twice the start buckets' bands: a block of 60 in a like-minded population has bands about
# 12 items wide, which a copy with 8 of 60 answers changed meets with p ~ 0.19 each; 20 bands
# miss it with p ~ 0.015, 10 with p ~ 0.12. Each band adds about half a pair per response.
FINGERPRINT_BANDS = 20
# An odd 64-bit constant mixing the bucket into a band hash (golden-ratio multiplier).
BUCKET_MIX = 0x9E3779B97F4A7C15
SEED = 20160223  # fixed: a re-run must give the same flags (Pew's report date)

THRESHOLDS_NOTE = (
    "duplicate: match threshold {t_any} uncorroborated, {t_device} with a shared fingerprint "
    "({device_pairs} pairs), {t_window} with starts within {minutes:g} min ({window_pairs} pairs) "
    "(floor {floor:g}); each keeps the chance pairs expected above it within the budget, "
    "counted on the wave's own look-alikes"
)
NEEDS = (
    "a pair needs {equal} of {items} equal answers (at most {differ} differing): "
    "{expected} chance pairs are expected that close{next}"
)
CLOSER = ", {expected} with {more} differing"
AT_FLOOR = (
    "a pair needs {equal} of {items} equal answers, the floor of {floor:g} (the budget "
    "alone would allow {budget_differ} differing): {expected} chance pairs are expected "
    "that close"
)
NO_THRESHOLD = (
    "never on this evidence alone: even identical answers are expected {expected} times by chance"
)
ALL_PAIRS = "the {pairs} pairs of distinct answer vectors (pairs of two straightliners apart)"
FINGERPRINT_PAIRS = "the {pairs} pairs sharing a fingerprint"
WINDOW_PAIRS = "the {pairs} pairs starting that close"
STRAIGHT_PAIRS = "the {pairs} pairs of straightliners' distinct answer vectors"
LOOKALIKES_NOTE = (
    "duplicate look-alikes: {queries} sampled responses compared with {references} others "
    "({compared} pairs, over {items} items): of those pairs, {quantiles} answers differ"
    "{nearest}{tail}{left_out}"
)
NEAREST = (
    "; a sampled response's nearest other differs in a median of {median} answers, "
    "the closest pair in {fewest}"
)
TAIL = (
    "; below {anchor} differing answers the chance counts are extrapolated (a binomial tail "
    "fitted on {start} to {end})"
)
LEFT_OUT = (
    "; {count} pairs were left out as likely copies (a response's nearest other, at least "
    "{gap} answers closer than its second nearest)"
)
TOO_FEW_PAIRS = (
    "duplicate: {count} distinct answer vectors, no pair to measure chance look-alikes on; "
    "every threshold is the floor {floor:g}"
)
SKIPPED_BLOCKS = (
    "duplicate: {count} candidate blocks larger than {limit} rows were not paired "
    "(a pattern shared by very many)"
)
WINDOW_HASHED = (
    "duplicate: {count} pairs start within {minutes:g} minutes, more than {limit} per "
    "response: searched by answer hashing inside {bucket:g}-minute start buckets "
    "({bands} bands, up to {largest} responses per bucket) instead of compared one by one"
)
FINGERPRINT_HASHED = (
    "duplicate: {responses} responses are in {blocks} fingerprint blocks of more than "
    "{limit} (the largest {largest}): searched by answer hashing inside each block "
    "({bands} bands) instead of compared one by one"
)
TOO_FEW_ITEMS = "duplicate: {items} comparable items, fewer than {needed}; answers not compared"
UNCORROBORATED_OFF = "off (chance exact matches expected)"
OFF = 1.5  # above any share: never on this evidence alone


@dataclass(frozen=True)
class MatchThresholds:
    # > 1 means: never on this evidence alone
    uncorroborated: float
    # ...for a pair of two straightliners
    uncorroborated_straight: float
    shared_fingerprint: float
    start_window: float
    notes: tuple[str, ...]


def keeper_rank(frame: WaveFrame) -> IntArray:
    """0 for the response to keep first: complete, then earliest completion, start, id."""
    completed = np.where(np.isnan(frame.completed_at), np.inf, frame.completed_at)
    started = np.where(np.isnan(frame.started_at), np.inf, frame.started_at)
    order = np.lexsort((frame.response_ids, started, completed, ~frame.is_complete))
    rank = np.empty(frame.size, dtype=np.int64)
    rank[order] = np.arange(frame.size)
    return rank


def find_duplicates(frame: WaveFrame, config: CleaningConfig) -> RuleOutcome:
    rank = keeper_rank(frame)
    person = _same_person(frame, rank)
    answers, notes = _same_answers(frame, config, rank)
    return RuleOutcome((person, *answers), tuple(notes))


# Same person -------------------------------------------------------------------------------


def _same_person(frame: WaveFrame, rank: IntArray) -> RuleFlags:
    flagged = np.zeros(frame.size, dtype=np.bool_)
    keeper = np.full(frame.size, -1, dtype=np.int64)
    reason = np.full(frame.size, "", dtype=object)
    order = np.argsort(rank)
    for label, keys in frame.identity.items():
        rows = np.flatnonzero((keys >= 0) & ~flagged)
        if rows.size == 0:
            continue
        best = pd.Series(rank[rows]).groupby(keys[rows]).transform("min").to_numpy()
        later = rank[rows] != best
        dup_rows = rows[later]
        flagged[dup_rows] = True
        keeper[dup_rows] = order[best[later]]
        reason[dup_rows] = label
    rows = np.flatnonzero(flagged)
    kept = frame.label(keeper[rows])
    details = tuple(
        f"same {why} as response {other}, which is kept (first complete)"
        for why, other in zip(reason[rows], kept, strict=True)
    )
    return RuleFlags("duplicate:person", rows, np.ones(rows.size), details)


# Same answers ------------------------------------------------------------------------------


def _same_answers(
    frame: WaveFrame, config: CleaningConfig, rank: IntArray
) -> tuple[tuple[RuleFlags, ...], list[str]]:
    names = ("duplicate:device", "duplicate:exact", "duplicate:near")
    empty = tuple(RuleFlags.empty(name) for name in names)
    codes = frame.codes[:, list(frame.match_columns)]
    if codes.shape[1] < config.duplicate_min_items:
        return empty, [
            TOO_FEW_ITEMS.format(items=codes.shape[1], needed=config.duplicate_min_items)
        ]
    compact = _compact(codes)
    eligible = (compact != MISSING_CODE).sum(axis=1) >= config.duplicate_min_items
    rng = np.random.default_rng(SEED)
    notes: list[str] = []
    window = config.duplicate_start_window_minutes * 60.0
    rows = np.flatnonzero(eligible)
    eligible_codes = _column_major(compact[rows])
    full_hash = _row_hash(eligible_codes, np.arange(compact.shape[1]), rng)
    # One row per distinct answer vector: identical submissions must not calibrate the null.
    _, distinct = np.unique(full_hash, return_index=True)
    straight = straightliner_rows(frame, config)
    calibrated = rows[np.sort(distinct)]
    thresholds = match_thresholds(
        compact[calibrated],
        straight[calibrated],
        config,
        rng,
        fingerprint_pairs=_count_shared_fingerprint_pairs(frame.fingerprint),
        window_pairs=_count_window_pairs(frame.started_at, window),
    )
    notes.extend(thresholds.notes)
    left, right = _candidate_pairs(frame, eligible_codes, rows, full_hash, config, rng, notes)
    del eligible_codes
    share, common = percent_match(compact, left, right)
    same_device = (frame.fingerprint[left] >= 0) & (
        frame.fingerprint[left] == frame.fingerprint[right]
    )
    apart = np.abs(frame.started_at[left] - frame.started_at[right])
    close = apart <= window
    # The bar each pair must reach: the lowest its evidence allows.
    bar = np.where(
        straight[left] & straight[right],
        thresholds.uncorroborated_straight,
        thresholds.uncorroborated,
    )
    bar = np.where(same_device, np.minimum(bar, thresholds.shared_fingerprint), bar)
    bar = np.where(close, np.minimum(bar, thresholds.start_window), bar)
    qualifies = (common >= config.duplicate_min_items) & (share >= bar - 1e-12)
    edges = _Edges(
        left[qualifies],
        right[qualifies],
        share[qualifies],
        common[qualifies],
        same_device[qualifies],
        apart[qualifies],
    )
    return _resolve(frame, edges, rank, window), notes


def _compact(codes: CodeMatrix) -> Codes:
    # Equality is all that matters here; int16 halves memory and speeds the comparisons.
    # Row-major, whatever the column selection left: percent_match gathers whole rows.
    if codes.size and int(codes.max()) < np.iinfo(np.int16).max:
        return codes.astype(np.int16, order="C")
    return np.ascontiguousarray(codes)


def percent_match(codes: Codes, left: IntArray, right: IntArray) -> tuple[FloatArray, IntArray]:
    """Kuriakose & Robbins' share of identical answers per pair, over items both answered."""
    share = np.zeros(left.size, dtype=np.float64)
    common = np.zeros(left.size, dtype=np.int64)
    for start in range(0, left.size, PAIR_CHUNK):
        a = codes[left[start : start + PAIR_CHUNK]]
        b = codes[right[start : start + PAIR_CHUNK]]
        both = (a != MISSING_CODE) & (b != MISSING_CODE)
        n_common = both.sum(axis=1)
        matches = (both & (a == b)).sum(axis=1)
        common[start : start + PAIR_CHUNK] = n_common
        share[start : start + PAIR_CHUNK] = np.where(
            n_common > 0, matches / np.maximum(n_common, 1), 0.0
        )
    return share, common


# Thresholds from the wave's look-alikes ----------------------------------------------------


def match_thresholds(
    codes: Codes,
    straight: BoolArray,
    config: CleaningConfig,
    rng: np.random.Generator,
    *,
    fingerprint_pairs: int,
    window_pairs: int,
) -> MatchThresholds:
    """The thresholds (module docstring), calibrated on `codes`, which should hold one row
    per distinct answer vector (`straight`: the rows of straightliners); and the notes that
    explain them."""
    n = codes.shape[0]
    floor = config.duplicate_match_floor
    alpha = config.duplicate_null_alpha
    minutes = config.duplicate_start_window_minutes
    min_common = config.duplicate_min_items
    found = measure(codes, rng, min_common=min_common, apart=straight) if n >= 2 else None
    if found is None or found.compared == 0:
        note = TOO_FEW_PAIRS.format(count=n, floor=floor)
        return MatchThresholds(floor, floor, floor, floor, (note,))
    chance = found.chance_share()
    k = int(straight.sum())
    budgets = (
        ("without corroboration", n * (n - 1) / 2 - k * (k - 1) / 2, ALL_PAIRS),
        ("with a shared fingerprint", fingerprint_pairs, FINGERPRINT_PAIRS),
        (f"with starts within {minutes:g} min", window_pairs, WINDOW_PAIRS),
    )
    shares: list[float] = []
    notes: list[str] = []
    for evidence, pairs, among in budgets:
        share, note = _threshold(chance * pairs, found.items, floor, alpha)
        shares.append(share)
        notes.append(
            f"duplicate {evidence}: {note} among {among.format(pairs=_count(pairs))}"
            f" (budget {alpha:g})"
        )
    # Straightliners answer alike by answering carelessly: pairs of them get a threshold of
    # their own, calibrated on them alone (a crowd of them must not raise everybody's).
    among_straight = measure(codes[straight], rng, min_common=min_common) if k >= 2 else None
    if among_straight is not None and among_straight.compared:
        straight_share, note = _threshold(
            among_straight.chance_share() * (k * (k - 1) / 2), among_straight.items, floor, alpha
        )
        notes.append(
            f"duplicate between two straightliners without corroboration: {note} among "
            f"{STRAIGHT_PAIRS.format(pairs=_count(k * (k - 1) / 2))} (budget {alpha:g})"
        )
    else:
        straight_share = shares[0]
    summary = THRESHOLDS_NOTE.format(
        t_any=_shown(shares[0]),
        t_device=_shown(shares[1]),
        t_window=_shown(shares[2]),
        device_pairs=fingerprint_pairs,
        window_pairs=window_pairs,
        minutes=minutes,
        floor=floor,
    )
    return MatchThresholds(
        shares[0],
        straight_share,
        shares[1],
        shares[2],
        (summary, *notes, _lookalike_note(found)),
    )


def _threshold(
    chance_pairs: FloatArray, items: int, floor: float, budget: float
) -> tuple[float, str]:
    """The share a pair must reach so that the chance pairs expected that close stay within
    the budget (`chance_pairs[d]`: expected with at most d differing answers); and why."""
    allowed = np.flatnonzero(chance_pairs <= budget)
    if not allowed.size:
        return OFF, NO_THRESHOLD.format(expected=_amount(float(chance_pairs[0])))
    # Cumulative counts: what is allowed is a prefix 0..differ.
    differ = int(allowed[-1])
    share = 1.0 - (differ + 0.5) / items
    if share >= floor:
        nxt = (
            CLOSER.format(more=differ + 1, expected=_amount(float(chance_pairs[differ + 1])))
            if differ < items
            else ""
        )
        return share, NEEDS.format(
            equal=items - differ,
            items=items,
            differ=differ,
            expected=_amount(float(chance_pairs[differ])),
            next=nxt,
        )
    floor_differ = max(math.floor((1.0 - floor) * items + 1e-9), 0)
    return floor, AT_FLOOR.format(
        equal=items - floor_differ,
        items=items,
        floor=floor,
        budget_differ=differ,
        expected=_amount(float(chance_pairs[min(floor_differ, items)])),
    )


def _lookalike_note(found: Lookalikes) -> str:
    quantiles = ", ".join(
        f"1 in {_count(round(1 / share))} in at most {found.closest_share(share)}"
        for share in (1e-4, 1e-3, 1e-2)
        if share * found.compared >= 1
    )
    nearest = (
        NEAREST.format(median=int(np.median(found.nearest)), fewest=int(found.nearest.min()))
        if found.nearest.size
        else ""
    )
    tail = (
        TAIL.format(anchor=found.anchor, start=found.anchor, end=found.fit_end)
        if found.anchor > 0
        else ""
    )
    left_out = LEFT_OUT.format(count=found.left_out, gap=COPY_GAP) if found.left_out else ""
    return LOOKALIKES_NOTE.format(
        queries=_count(found.queries),
        references=_count(found.references),
        compared=_count(found.compared),
        items=found.items,
        quantiles=quantiles or "too few pairs for quantiles",
        nearest=nearest,
        tail=tail,
        left_out=left_out,
    )


def _count(value: float) -> str:
    return f"{round(value):,}"


def _amount(value: float) -> str:
    return f"{value:.2g}"


def _shown(threshold: float) -> str:
    return f"{threshold:.3f}" if threshold <= 1 else UNCORROBORATED_OFF


def _count_shared_fingerprint_pairs(fingerprint: IntArray) -> int:
    sizes = np.bincount(fingerprint[fingerprint >= 0]) if (fingerprint >= 0).any() else None
    return 0 if sizes is None else int((sizes * (sizes - 1) // 2).sum())


def _count_window_pairs(started: FloatArray, window: float) -> int:
    starts = np.sort(started[~np.isnan(started)])
    ends = np.searchsorted(starts, starts + window, side="right")
    return int((ends - np.arange(starts.size) - 1).sum())


# Candidate pairs ---------------------------------------------------------------------------


def _candidate_pairs(
    frame: WaveFrame,
    eligible_codes: Codes,
    rows: IntArray,
    full_hash: npt.NDArray[np.uint64],
    config: CleaningConfig,
    rng: np.random.Generator,
    notes: list[str],
) -> tuple[IntArray, IntArray]:
    """Candidate pairs among the eligible `rows` (their answers `eligible_codes`, column-major;
    their full-vector hashes `full_hash`)."""
    found: list[IntArray] = []
    skipped = 0
    # Identical vectors: link each to the first of its group, linear however large the group.
    groups = pd.Series(rows).groupby(full_hash).transform("first").to_numpy()
    found.append(_keys(groups[groups != rows], rows[groups != rows], frame.size))
    log_match = _log_match(eligible_codes)
    for band in _bands(log_match, rows.size, LSH_BANDS, rng):
        complete = _answered_all(eligible_codes, band)
        pairs, big = _pairs_in_blocks(
            _row_hash(eligible_codes, band, rng)[complete],
            rows[complete],
            config.duplicate_max_block,
        )
        skipped += big
        found.append(_keys(*pairs, frame.size))
    fingerprint_keys, big = _fingerprint_pairs(
        frame, eligible_codes, rows, log_match, config, rng, notes
    )
    skipped += big
    found.append(fingerprint_keys)
    window_keys, big = _window_pairs(frame, eligible_codes, rows, log_match, config, rng, notes)
    skipped += big
    found.append(window_keys)
    if skipped:
        notes.append(SKIPPED_BLOCKS.format(count=skipped, limit=config.duplicate_max_block))
    keys = _distinct_sorted(np.concatenate(found))
    return keys // frame.size, keys % frame.size


def _log_match(codes: Codes) -> FloatArray:
    """Per item, the log chance that two random respondents give the same answer."""
    log_match = np.zeros(codes.shape[1])
    for j in range(codes.shape[1]):
        answered = codes[:, j][codes[:, j] != MISSING_CODE]
        shares = np.bincount(answered.astype(np.int64)) / max(answered.size, 1)
        log_match[j] = math.log(max(float((shares**2).sum()), 1e-9))
    return log_match


def _bands(
    log_match: FloatArray, meet_one_in: int, count: int, rng: np.random.Generator
) -> list[IntArray]:
    """Random item bands, each wide enough that a random pair agrees on it with p ~ 1/n."""
    width = log_match.size
    target = -math.log(max(meet_one_in, 2))
    bands = []
    for _ in range(count):
        order = rng.permutation(width)
        depth = np.cumsum(log_match[order])
        stop = int(np.searchsorted(-depth, -target)) + 1
        bands.append(np.sort(order[: min(stop, width)]))
    return bands


def _row_hash(codes: Codes, columns: IntArray, rng: np.random.Generator) -> npt.NDArray[np.uint64]:
    """A hash of each row's answers on `columns`, accumulated one column at a time (a loop
    per item, vectorised over the rows): no rows x columns uint64 temporary. `codes` should
    be column-major (`_column_major`) so each column is one contiguous read."""
    multipliers = rng.integers(1, 2**63, size=len(columns), dtype=np.uint64) | np.uint64(1)
    hashes = np.zeros(codes.shape[0], dtype=np.uint64)
    # Wrapping uint64 arithmetic: a collision only costs one extra comparison.
    with np.errstate(over="ignore"):
        for column, multiplier in zip(columns.tolist(), multipliers, strict=True):
            term = codes[:, column].astype(np.uint64)
            term += np.uint64(2)
            term *= multiplier
            hashes += term
    return hashes


def _answered_all(codes: Codes, columns: IntArray) -> BoolArray:
    """Rows that answered every item of `columns` (one column at a time, as `_row_hash`)."""
    answered = np.ones(codes.shape[0], dtype=np.bool_)
    for column in columns.tolist():
        answered &= codes[:, column] != MISSING_CODE
    return answered


def _column_major(codes: Codes) -> Codes:
    # Band hashing reads a few columns of every row, dozens of times: column-major makes each
    # column one contiguous read instead of a stride through the whole matrix.
    return np.asfortranarray(codes)


def _distinct_sorted(keys: IntArray) -> IntArray:
    """np.unique by sorting: numpy 2.4's np.unique hashes integer arrays, which at tens of
    millions of keys is over ten times slower than a sort (the cost that made the 10^6-row
    bench miss its target; bench/README.md)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys


def _pairs_in_blocks(
    hashes: npt.NDArray[np.uint64], rows: IntArray, limit: int
) -> tuple[tuple[IntArray, IntArray], int]:
    """All pairs of rows sharing a hash, for blocks of 2..limit rows; and blocks skipped."""
    # Any order within a block will do: its pairs become sorted keys.
    order = np.argsort(hashes)
    sorted_hashes = hashes[order]
    starts = np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]])
    sizes = np.diff(np.r_[starts, hashes.size])
    # Each row pairs with the rows after it in its block (none outside 2..limit): the same
    # repeat-and-offset expansion as the start-window pairs, linear in the pairs made.
    paired = (sizes >= 2) & (sizes <= limit)
    ends = np.repeat(np.where(paired, starts + sizes, 0), sizes)
    reach = np.maximum(ends - np.arange(hashes.size) - 1, 0)
    first, second = _expand(reach)
    pairs = (rows[order[first]], rows[order[second]])
    return pairs, int((sizes > limit).sum())


def _window_pairs(
    frame: WaveFrame,
    codes: Codes,
    rows: IntArray,
    log_match: FloatArray,
    config: CleaningConfig,
    rng: np.random.Generator,
    notes: list[str],
) -> tuple[IntArray, int]:
    """Pairs of eligible rows starting within the window, and the blocks skipped."""
    window = config.duplicate_start_window_minutes * 60.0
    started = frame.started_at[rows]
    timed = np.flatnonzero(~np.isnan(started))
    order = timed[np.argsort(started[timed], kind="stable")]
    starts = started[order]
    ends = np.searchsorted(starts, starts + window, side="right")
    reach = ends - np.arange(order.size) - 1
    total = int(reach.sum())
    if total <= WINDOW_CANDIDATES_PER_ROW * max(rows.size, 1):
        first, second = _expand(reach)
        return _keys(rows[order[first]], rows[order[second]], frame.size), 0
    # Too many to compare one by one: banded hashing inside buckets of twice the window,
    # laid twice, the second shifted by one window, so any two starts within the window
    # share a bucket in at least one layer. The bands are narrower than the wave-wide ones
    # (a random pair in a bucket should meet about once per bucket size), so they also find
    # the lower matches that corroboration by start time allows.
    found: list[IntArray] = []
    skipped = 0
    largest = 0
    for shift in (0.0, window):
        layer = np.floor((started[timed] + shift) / (2 * window)).astype(np.int64)
        largest = max(largest, int(np.bincount(layer - layer.min()).max()))
    for shift in (0.0, window):
        bucket = np.floor((started[timed] + shift) / (2 * window)).astype(np.uint64)
        keys, big = _pairs_in_buckets(
            codes, rows, timed, bucket, largest, WINDOW_BANDS, log_match, config, rng, frame.size
        )
        found.extend(keys)
        skipped += big
    notes.append(
        WINDOW_HASHED.format(
            count=total,
            minutes=config.duplicate_start_window_minutes,
            limit=WINDOW_CANDIDATES_PER_ROW,
            bucket=2 * config.duplicate_start_window_minutes,
            bands=WINDOW_BANDS,
            largest=largest,
        )
    )
    return np.concatenate(found), skipped


def _fingerprint_pairs(
    frame: WaveFrame,
    codes: Codes,
    rows: IntArray,
    log_match: FloatArray,
    config: CleaningConfig,
    rng: np.random.Generator,
    notes: list[str],
) -> tuple[IntArray, int]:
    """Pairs of eligible rows sharing a fingerprint, and the blocks skipped: every pair in a
    block of at most FINGERPRINT_ALL_PAIRS rows; inside larger blocks (a shared network),
    banded hashing, so the candidates stay linear in the block's size, not quadratic."""
    fingerprint = frame.fingerprint[rows]
    known = np.flatnonzero(fingerprint >= 0)
    if not known.size:
        return np.empty(0, dtype=np.int64), 0
    _, block, sizes = np.unique(fingerprint[known], return_inverse=True, return_counts=True)
    block_size = sizes[block]
    small = known[block_size <= FINGERPRINT_ALL_PAIRS]
    pairs, _ = _pairs_in_blocks(
        fingerprint[small].astype(np.uint64), rows[small], FINGERPRINT_ALL_PAIRS
    )
    found = [_keys(*pairs, frame.size)]
    large = block_size > FINGERPRINT_ALL_PAIRS
    if not large.any():
        return found[0], 0
    # Blocks of like size share their bands: one huge network must not widen the bands (and
    # lower the recall) of the many blocks a few times larger than the all-pairs limit.
    members, member_size = known[large], block_size[large]
    size_class = np.ceil(np.log2(member_size)).astype(np.int64)
    skipped = 0
    for value in np.unique(size_class).tolist():
        in_class = size_class == value
        keys, big = _pairs_in_buckets(
            codes,
            rows,
            members[in_class],
            fingerprint[members[in_class]].astype(np.uint64),
            int(member_size[in_class].max()),
            FINGERPRINT_BANDS,
            log_match,
            config,
            rng,
            frame.size,
        )
        found.extend(keys)
        skipped += big
    notes.append(
        FINGERPRINT_HASHED.format(
            responses=members.size,
            blocks=int((sizes > FINGERPRINT_ALL_PAIRS).sum()),
            limit=FINGERPRINT_ALL_PAIRS,
            bands=FINGERPRINT_BANDS,
            largest=int(sizes.max()),
        )
    )
    return np.concatenate(found), skipped


def _pairs_in_buckets(
    codes: Codes,
    rows: IntArray,
    members: IntArray,
    bucket: npt.NDArray[np.uint64],
    largest: int,
    bands: int,
    log_match: FloatArray,
    config: CleaningConfig,
    rng: np.random.Generator,
    n: int,
) -> tuple[list[IntArray], int]:
    """Pairs among `members` (positions in `rows`) that share a bucket and agree on one of
    `bands` bands, each narrow enough that a random pair in a bucket of `largest` rows meets
    about once; and the blocks skipped."""
    if members.size * 2 < codes.shape[0]:
        # A few members: hash their own rows, not every eligible row's.
        codes, rows, members = _column_major(codes[members]), rows[members], np.arange(members.size)
    found: list[IntArray] = []
    skipped = 0
    for band in _bands(log_match, largest, bands, rng):
        complete = _answered_all(codes, band)[members]
        with np.errstate(over="ignore"):
            hashes = _row_hash(codes, band, rng)[members[complete]] ^ (
                bucket[complete] * np.uint64(BUCKET_MIX)
            )
        pairs, big = _pairs_in_blocks(hashes, rows[members[complete]], config.duplicate_max_block)
        skipped += big
        found.append(_keys(*pairs, n))
    return found, skipped


def _expand(reach: IntArray) -> tuple[IntArray, IntArray]:
    """Position i paired with each of the `reach[i]` positions after it, without a loop."""
    total = int(reach.sum())
    first = np.repeat(np.arange(reach.size), reach)
    offsets = np.arange(total) - np.repeat(np.cumsum(reach) - reach, reach) + 1
    return first, first + offsets


def _keys(left: IntArray, right: IntArray, n: int) -> IntArray:
    low, high = np.minimum(left, right), np.maximum(left, right)
    keep = low != high
    return np.asarray(low[keep] * n + high[keep], dtype=np.int64)


# Resolution --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edges:
    left: IntArray
    right: IntArray
    share: FloatArray
    common: IntArray
    same_device: BoolArray
    apart: FloatArray


def clusters(n: int, left: IntArray, right: IntArray) -> IntArray:
    """Connected components by label propagation: each row ends labelled with its cluster's
    smallest row (a loop per round; rounds grow with the longest chain, not with n)."""
    labels = np.arange(n)
    while left.size:
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        labels = labels[labels]
        if np.array_equal(labels, before):
            break
    return labels


def _resolve(
    frame: WaveFrame, edges: _Edges, rank: IntArray, window: float
) -> tuple[RuleFlags, ...]:
    labels = clusters(frame.size, edges.left, edges.right)
    in_edges = np.unique(np.r_[edges.left, edges.right])
    members = pd.Series(rank[in_edges]).groupby(labels[in_edges]).transform("min").to_numpy()
    order = np.argsort(rank)
    keeper_of = order[members]
    flagged = in_edges[keeper_of != in_edges]
    kept = keeper_of[keeper_of != in_edges]
    # Each flagged row's best edge: its highest match, shared device first among equals.
    ends = np.r_[edges.left, edges.right]
    others = np.r_[edges.right, edges.left]
    idx = np.r_[np.arange(edges.left.size), np.arange(edges.left.size)]
    priority = np.lexsort((-edges.share[idx], ~edges.same_device[idx], ends))
    unique_ends, first = np.unique(ends[priority], return_index=True)
    best_for_row = np.full(frame.size, -1, dtype=np.int64)
    best_for_row[unique_ends] = priority[first]
    pick = best_for_row[flagged]
    edge = idx[pick]
    partner = others[pick]
    device = edges.same_device[edge]
    exact = ~device & (edges.share[edge] >= 1.0)
    result = []
    for rule, mask in (
        ("duplicate:device", device),
        ("duplicate:exact", exact),
        ("duplicate:near", ~device & ~exact),
    ):
        rows, e = flagged[mask], edge[mask]
        details = _details(frame, edges, e, partner[mask], kept[mask], window)
        result.append(RuleFlags(rule, rows, edges.share[e], details))
    return tuple(result)


def _details(
    frame: WaveFrame,
    edges: _Edges,
    edge: IntArray,
    partner: IntArray,
    kept: IntArray,
    window: float,
) -> tuple[str, ...]:
    # Formatting the reason is per flagged row; finding the flags above is vectorised.
    partners, keepers = frame.label(partner), frame.label(kept)
    out = []
    for share, common, device, apart, other, keeper in zip(
        edges.share[edge],
        edges.common[edge],
        edges.same_device[edge],
        edges.apart[edge],
        partners,
        keepers,
        strict=True,
    ):
        why = "same device fingerprint" if device else ""
        if apart <= window:
            why += ("; " if why else "") + f"started {apart / 60:.0f} min apart"
        why = why or "no corroboration: above the uncorroborated threshold"
        out.append(
            f"matches response {other} on {share:.0%} of {common} items ({why}); "
            f"kept: response {keeper}"
        )
    return tuple(out)
