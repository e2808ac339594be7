"""A synthetic wave with planted careless responses and duplicates, as a WaveFrame.

Ten pages of six items: six batteries of 5-point scales (answers correlated through a
per-person trait, as real attitude batteries are) and four pages of categorical items with
skewed shares. Page times are lognormal around a per-item reading time with a per-person
speed. Planted, in disjoint groups of respondents:
- speeders: every page three to six times faster than their own normal speed;
- straightliners: one answer down every battery;
- duplicate:person: the same panel member answers again later (new answers);
- duplicate:device: a copy of someone's answers with a few items changed, same fingerprint,
  hours later;
- duplicate:near: a copy with a few items changed (or none), another device, any time;
- attention: a wrong answer to the check item.
Also benign look-alikes: a share of respondents sharing a fingerprint (one network) with
their own answers. All generation is vectorised, so the benchmark can use it for 10^6 rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from respondents.quality.frame import AttentionCheck, Battery, WaveFrame

PAGES = 10
ITEMS_PER_PAGE = 6
BATTERY_PAGES = 6
SCALE = 5
SECONDS_PER_ITEM = 7.0
START = 1_700_000_000.0


@dataclass
class SyntheticWave:
    frame: WaveFrame
    planted: dict[str, set[int]] = field(default_factory=dict)


def generate_wave(
    n: int,
    *,
    seed: int = 7,
    share_speeders: float = 0.04,
    share_straightliners: float = 0.04,
    share_duplicates: float = 0.02,
    share_attention: float = 0.03,
    modal_share: float | None = None,
    duplicate_changes: int = 2,
    fieldwork_days: float = 14.0,
) -> SyntheticWave:
    """`n` original respondents plus the planted duplicate copies.

    `modal_share` makes the population homogeneous: each categorical item's commonest
    answer gets that share, and battery answers cluster on one point. `fieldwork_days`
    spreads the start times: a short fieldwork packs many responses into each start window,
    as a large wave does.
    """
    rng = np.random.default_rng(seed)
    items = PAGES * ITEMS_PER_PAGE
    codes = _answers(rng, n, items, modal_share)
    groups = _groups(
        rng, n, share_speeders, share_straightliners, share_duplicates, share_attention
    )
    speed = np.exp(rng.normal(0.0, 0.2, n))
    speed[groups["speeder"]] = rng.uniform(3.0, 6.0, groups["speeder"].size)
    times = SECONDS_PER_ITEM * ITEMS_PER_PAGE / speed[:, None]
    times = times * np.exp(rng.normal(0.0, 0.25, (n, PAGES)))
    level = rng.integers(0, SCALE, (groups["straightliner"].size, BATTERY_PAGES))
    block = np.repeat(level, ITEMS_PER_PAGE, axis=1)
    codes[groups["straightliner"], : BATTERY_PAGES * ITEMS_PER_PAGE] = block
    started = START + rng.uniform(0, fieldwork_days * 24 * 3600.0, n)
    fingerprint = np.arange(n, dtype=np.int64)
    # Benign: 5% of people share one of 30 network fingerprints with strangers.
    shared = rng.choice(n, size=n // 20, replace=False)
    fingerprint[shared] = n + rng.integers(0, 30, shared.size)
    member = np.arange(n, dtype=np.int64)

    copies = []
    kinds = []
    for kind in ("duplicate:person", "duplicate:device", "duplicate:near"):
        source = groups[kind]
        copy_codes = codes[source].copy()
        if kind == "duplicate:person":
            copy_codes = _answers(rng, source.size, items, modal_share)
        else:
            _perturb(rng, copy_codes, duplicate_changes)
        copy_fp = (
            fingerprint[source] if kind == "duplicate:device" else (10 * n + np.arange(source.size))
        )
        delay = rng.uniform(3 * 3600, 48 * 3600, source.size)
        copies.append(
            (
                copy_codes,
                times[source] * np.exp(rng.normal(0.0, 0.2, (source.size, PAGES))),
                started[source] + delay,
                copy_fp,
                member[source] if kind == "duplicate:person" else np.full(source.size, -1),
            )
        )
        kinds.append((kind, source.size))
    all_codes = np.vstack([codes, *(c[0] for c in copies)])
    all_times = np.vstack([times, *(c[1] for c in copies)])
    all_started = np.concatenate([started, *(c[2] for c in copies)])
    all_fp = np.concatenate([fingerprint, *(c[3] for c in copies)])
    all_member = np.concatenate([member, *(c[4] for c in copies)])
    total = all_codes.shape[0]

    attention = np.full(total, 1, dtype=np.int32)
    attention[groups["attention"]] = 3
    all_codes = np.hstack([all_codes, attention[:, None]])
    planted = {
        name: set(groups[name].tolist()) for name in ("speeder", "straightliner", "attention")
    }
    offset = n
    for kind, size in kinds:
        planted[kind] = set(range(offset, offset + size))
        offset += size
    frame = _frame(all_codes, all_times, all_started, all_fp, all_member)
    return SyntheticWave(frame, planted)


def _answers(rng: np.random.Generator, n: int, items: int, modal_share: float | None) -> np.ndarray:
    codes = np.empty((n, items), dtype=np.int32)
    battery_items = BATTERY_PAGES * ITEMS_PER_PAGE
    trait_sd = 0.4 if modal_share else 0.6
    noise_sd = 0.5 if modal_share else 0.9
    for page in range(BATTERY_PAGES):
        centre = rng.uniform(1.5, 2.5)
        trait = rng.normal(centre, trait_sd, n)
        cols = slice(page * ITEMS_PER_PAGE, (page + 1) * ITEMS_PER_PAGE)
        raw = trait[:, None] + rng.normal(0.0, noise_sd, (n, ITEMS_PER_PAGE))
        codes[:, cols] = np.clip(np.rint(raw), 0, SCALE - 1)
    for column in range(battery_items, items):
        options = int(rng.integers(2, 8))
        if modal_share:
            rest = (1 - modal_share) / (options - 1)
            shares = np.r_[modal_share, np.full(options - 1, rest)]
        else:
            shares = rng.dirichlet(np.full(options, 2.0))
        codes[:, column] = rng.choice(options, size=n, p=shares)
    return codes


def _groups(rng, n, speeders, straightliners, duplicates, attention) -> dict[str, np.ndarray]:
    order = rng.permutation(n)
    sizes = {
        "speeder": int(n * speeders),
        "straightliner": int(n * straightliners),
        "duplicate:person": int(n * duplicates),
        "duplicate:device": int(n * duplicates),
        "duplicate:near": int(n * duplicates),
        "attention": int(n * attention),
    }
    groups = {}
    start = 0
    for name, size in sizes.items():
        groups[name] = np.sort(order[start : start + size])
        start += size
    return groups


def _perturb(rng: np.random.Generator, codes: np.ndarray, changes: int) -> None:
    if changes == 0 or codes.shape[0] == 0:
        return
    rows = np.repeat(np.arange(codes.shape[0]), changes)
    cols = rng.integers(0, codes.shape[1], rows.size)
    # Any different code will do: equality is all percent match looks at.
    codes[rows, cols] = (codes[rows, cols] + 1) % 8


def _frame(codes, times, started, fingerprint, member) -> WaveFrame:
    total = codes.shape[0]
    items = PAGES * ITEMS_PER_PAGE
    completed = started + times.sum(axis=1) + 5.0
    values = np.where(codes >= 0, codes + 1, np.nan).astype(np.float64)
    item_names = (*(f"q{j + 1}" for j in range(items)), "check")
    batteries = tuple(
        Battery(f"battery{p + 1}", tuple(range(p * ITEMS_PER_PAGE, (p + 1) * ITEMS_PER_PAGE)))
        for p in range(BATTERY_PAGES)
    )
    item_counts = np.full(PAGES, ITEMS_PER_PAGE, dtype=np.int64)
    item_counts[-1] += 1
    return WaveFrame(
        response_ids=np.arange(1, total + 1, dtype=np.int64),
        is_complete=np.ones(total, dtype=np.bool_),
        is_abandoned=np.zeros(total, dtype=np.bool_),
        started_at=started,
        completed_at=completed,
        updated_at=completed,
        identity={"panel member": member},
        fingerprint=fingerprint,
        honeypot_filled=np.zeros(total, dtype=np.bool_),
        page_times=times,
        page_names=tuple(f"page{p + 1}" for p in range(PAGES)),
        page_item_counts=item_counts,
        codes=codes,
        values=values,
        item_names=item_names,
        match_columns=tuple(range(items)),
        batteries=batteries,
        attention_checks=(AttentionCheck("check", items, 1),),
        language=np.zeros(total, dtype=np.int64),
        now=float(completed.max()) + 3600.0,
    )


def with_copies(wave: SyntheticWave, source: int, copies: int, *, gap_seconds: float) -> WaveFrame:
    """The wave plus `copies` exact copies of row `source`: each its own fingerprint, one
    every `gap_seconds` after the original (a mass of identical submissions)."""
    frame = wave.frame
    rows = np.r_[np.arange(frame.size), np.full(copies, source)]
    started = np.r_[
        frame.started_at, frame.started_at[source] + gap_seconds * np.arange(1, copies + 1)
    ]
    completed = started + (frame.completed_at - frame.started_at)[rows]
    return dataclasses.replace(
        frame,
        response_ids=np.arange(1, rows.size + 1, dtype=np.int64),
        is_complete=frame.is_complete[rows],
        is_abandoned=frame.is_abandoned[rows],
        started_at=started,
        completed_at=completed,
        updated_at=completed,
        identity={k: np.r_[v, np.full(copies, -1)] for k, v in frame.identity.items()},
        fingerprint=np.r_[frame.fingerprint, frame.fingerprint.max() + 1 + np.arange(copies)],
        honeypot_filled=frame.honeypot_filled[rows],
        page_times=frame.page_times[rows],
        codes=frame.codes[rows],
        values=frame.values[rows],
        language=frame.language[rows],
        now=float(completed.max()) + 3600.0,
    )


def with_near_copies(
    wave: SyntheticWave,
    sources: np.ndarray,
    *,
    changes: int | np.ndarray,
    delays: np.ndarray,
    seed: int = 5,
) -> WaveFrame:
    """The wave plus one copy of each row in `sources`, with `changes` (one number, or one
    per copy) distinct substantive answers changed, its own fingerprint and its own panel
    key, started `delays` seconds after its original. The copies are the last
    `sources.size` rows."""
    frame = wave.frame
    rng = np.random.default_rng(seed)
    rows = np.r_[np.arange(frame.size), sources]
    codes = frame.codes[rows]
    _change_distinct(rng, codes[frame.size :], np.broadcast_to(changes, sources.shape))
    started = np.r_[frame.started_at, frame.started_at[sources] + delays]
    completed = started + (frame.completed_at - frame.started_at)[rows]
    return dataclasses.replace(
        frame,
        response_ids=np.arange(1, rows.size + 1, dtype=np.int64),
        is_complete=frame.is_complete[rows],
        is_abandoned=frame.is_abandoned[rows],
        started_at=started,
        completed_at=completed,
        updated_at=completed,
        identity={
            k: np.r_[v, v.max() + 1 + np.arange(sources.size)] for k, v in frame.identity.items()
        },
        fingerprint=np.r_[frame.fingerprint, frame.fingerprint.max() + 1 + np.arange(sources.size)],
        honeypot_filled=frame.honeypot_filled[rows],
        page_times=frame.page_times[rows],
        codes=codes,
        values=np.where(codes >= 0, codes + 1, np.nan).astype(np.float64),
        language=frame.language[rows],
        now=float(completed.max()) + 3600.0,
    )


def _change_distinct(rng: np.random.Generator, codes: np.ndarray, changes: np.ndarray) -> None:
    """Change `changes[i]` different substantive answers of row i (the check item stays)."""
    substantive = codes.shape[1] - 1
    # A random order of the columns per row; the first changes[i] of it are changed.
    order = np.argsort(rng.random((codes.shape[0], substantive)), axis=1)
    for k in range(int(changes.max(initial=0))):
        rows = np.flatnonzero(changes > k)
        cols = order[rows, k]
        codes[rows, cols] = (codes[rows, cols] + 1) % 8
