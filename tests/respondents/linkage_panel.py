"""A synthetic panel for linkage tests and the linkage benchmark: wave-1 people, and a wave 2
of open-link returners (without any contact) mixed with newcomers drawn from the same
population, with stable answers that drift as people's do."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from respondents.linkage.matching import ItemComparison

ITEMS = (
    ItemComparison("birth_year", numeric=True),
    ItemComparison("sex", numeric=False),
    ItemComparison("departure_month", numeric=True),
    ItemComparison("education", numeric=True),
    ItemComparison("home_region", numeric=False),
    ItemComparison("country", numeric=False),
)
OPINIONS = tuple(ItemComparison(f"opinion_{n}", numeric=True) for n in range(1, 11))
COUNTRY_SHARES = (0.30, 0.20, 0.15, 0.10, 0.08, 0.06, 0.05, 0.03, 0.02, 0.01)
REGION_SHARES = (0.35, 0.25, 0.10, 0.08, 0.07, 0.06, 0.05, 0.04)


@dataclass(frozen=True)
class LinkagePanel:
    earlier: npt.NDArray[np.float64]
    later: npt.NDArray[np.float64]
    # For each later row, the earlier row it is (-1: a newcomer).
    truth: npt.NDArray[np.int64]
    # Columns: the stable ITEMS, then the OPINIONS.
    # For each earlier row: True when no other earlier person has the same stable answers.
    singled_out: npt.NDArray[np.bool_]
    # Each earlier person's answers in each earlier wave (waves x people x columns; NaN where
    # they did not take part); `earlier` is the latest of them.
    history: npt.NDArray[np.float64]


def _people(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    birth = np.clip(np.round(rng.normal(1990, 8, n)), 1950, 2006)
    sex = rng.choice(2, n, p=(0.55, 0.45))
    # Departures cluster in the months of the mobilisation waves.
    departure = np.where(rng.random(n) < 0.5, rng.choice((2, 9), n), rng.integers(0, 36, n))
    education = rng.choice(4, n, p=(0.05, 0.15, 0.55, 0.25))
    region = rng.choice(len(REGION_SHARES), n, p=REGION_SHARES)
    country = rng.choice(len(COUNTRY_SHARES), n, p=COUNTRY_SHARES)
    # Ten opinions on 1-5 scales, spread as a like-minded population's would be.
    opinions = rng.choice(5, (n, len(OPINIONS)), p=(0.05, 0.10, 0.20, 0.35, 0.30)) + 1
    return np.column_stack([birth, sex, departure, education, region, country, opinions]).astype(
        float
    )


def _drift(rng: np.random.Generator, people: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Six months later, as people answer: slips of a year or a month, finished degrees,
    moves to another country, now and then an item skipped."""
    out = people.copy()
    n = len(out)
    slip = rng.random(n) < 0.03
    out[slip, 0] += rng.choice((-1, 1), slip.sum())
    month_slip = rng.random(n) < 0.08
    out[month_slip, 2] += rng.choice((-1, 1), month_slip.sum())
    degree = (rng.random(n) < 0.05) & (out[:, 3] < 3)
    out[degree, 3] += 1
    moved = rng.random(n) < 0.08
    out[moved, 5] = rng.choice(len(COUNTRY_SHARES), moved.sum(), p=COUNTRY_SHARES)
    # Opinions mostly hold: 60% the same, the rest one point away.
    opinions = out[:, len(ITEMS) :]
    shifted = rng.random(opinions.shape) >= 0.6
    opinions[shifted] = np.clip(opinions[shifted] + rng.choice((-1, 1), shifted.sum()), 1, 5)
    skipped = rng.random(out.shape) < 0.02
    out[skipped] = np.nan
    return out


def make_linkage_panel(
    *, earlier_people: int = 5000, returners: int = 1500, newcomers: int = 3500, seed: int = 7
) -> LinkagePanel:
    rng = np.random.default_rng(seed)
    first = _people(rng, earlier_people)
    return _next_wave(rng, first, first, returners, newcomers)


def make_three_wave_panel(
    *, people: int = 5000, returners: int = 1500, seed: int = 7
) -> tuple[LinkagePanel, LinkagePanel]:
    """Waves 2 and 3 of a panel of `people` a wave, each to be linked to what came before.

    Wave 2 is make_linkage_panel's. Wave 3 holds `returners` people seen in wave 1 or 2
    (their answers drifted again from their own) among newcomers. Its `earlier` is each
    person's latest answers: wave 2's for those who came back then (taken as linked rightly),
    wave 1's for the others, and wave 2's newcomers as people of their own; its `history`
    holds both waves' answers of those seen twice."""
    rng = np.random.default_rng(seed)
    first = _people(rng, people)
    second = _next_wave(rng, first, first, returners, people - returners)
    came_back = second.truth >= 0
    newcomers = second.later[~came_back]
    true = np.vstack([first, newcomers])
    latest = true.copy()
    latest[second.truth[came_back]] = second.later[came_back]
    seen_again = np.full(true.shape, np.nan)
    seen_again[second.truth[came_back]] = second.later[came_back]
    third = _next_wave(
        rng, true, latest, returners, people - returners, history=np.stack([true, seen_again])
    )
    return second, third


def _next_wave(
    rng: np.random.Generator,
    true: npt.NDArray[np.float64],
    latest: npt.NDArray[np.float64],
    returners: int,
    newcomers: int,
    *,
    history: npt.NDArray[np.float64] | None = None,
) -> LinkagePanel:
    """A later wave: `returners` of the earlier people, drifted from their own answers
    (`true`), among newcomers, to be compared with their `latest` earlier answers."""
    back = rng.choice(len(true), returners, replace=False)
    later = np.vstack([_drift(rng, true[back]), _people(rng, newcomers)])
    truth = np.concatenate([back, np.full(newcomers, -1)])
    order = rng.permutation(len(later))
    stable = true[:, : len(ITEMS)]
    _, inverse, counts = np.unique(stable, axis=0, return_inverse=True, return_counts=True)
    return LinkagePanel(
        earlier=latest,
        later=later[order],
        truth=truth[order],
        singled_out=counts[inverse.ravel()] == 1,
        history=latest[None] if history is None else history,
    )
