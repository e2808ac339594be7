"""Weights: raking to known margins, and attrition weights for panel samples.

Rules (docs/methods.md 12):
- Raking (iterative proportional fitting) adjusts weights until the weighted shares of each
  margin item match the shares the team entered; weights are capped at TRIM_RATIO (mean 1)
  while raking, so the capped weights still meet the margins and nobody counts for a crowd. A
  respondent without an answer to a margin item keeps the observed share of "no answer"; the
  entered shares are scaled to the rest. The design effect is Kish's 1 + CV^2.
- Attrition: for each step from one chosen wave to the next, a logistic regression of taking
  part again on the earlier wave's answers (the covariates the team chose); the stayers'
  factor is the overall stay rate over their own probability (stabilised inverse probability
  weighting), trimmed likewise; a row's weight is the product of its person's factors up to
  its wave, so the balanced sample gets the chained weight.
- Release: weights are rounded to bands of BAND, and a band held by fewer than k rows is
  merged into the nearest band held by k or more, so no weight singles a person out.

Django-free: the caller hands in frames; the libraries are weightipy (raking) and statsmodels
(logistic regression).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

TRIM_RATIO = 5.0
BAND = 0.05
NO_ANSWER = "(no answer)"
# Shares that sum within this of 1 are accepted (percentages typed with one decimal).
SUM_TOLERANCE = 0.005

ERROR_SUM = "margins of {item!r} sum to {total:.1%}, not 100%"
ERROR_SHARE = "margin {item!r}={value!r}: a share must be between 0 and 1 (got {share})"
ERROR_EMPTY_CELL = "margin {item!r}={value!r} has a target share but no respondent gave that answer"


class WeightingError(ValueError):
    """The margins or the model cannot give weights; the message names the problem."""


@dataclass(frozen=True)
class WeightSummary:
    design_effect: float
    trimmed: int
    notes: tuple[str, ...]


def check_margins(margins: Mapping[str, Mapping[str, float]]) -> None:
    for item, shares in margins.items():
        for value, share in shares.items():
            if not 0 <= share <= 1:
                raise WeightingError(ERROR_SHARE.format(item=item, value=value, share=share))
        total = sum(shares.values())
        if abs(total - 1) > SUM_TOLERANCE:
            raise WeightingError(ERROR_SUM.format(item=item, total=total))


def design_effect(weights: pd.Series) -> float:
    """Kish's approximate design effect of unequal weights: 1 + CV^2."""
    mean = float(weights.mean())
    if mean == 0:
        return float("nan")
    return 1 + float(weights.std(ddof=0) / mean) ** 2


def _trim(weights: pd.Series) -> tuple[pd.Series, int]:
    cap = TRIM_RATIO * float(weights.median())
    trimmed = int((weights > cap).sum())
    return weights.clip(upper=cap), trimmed


def rake(
    answers: pd.DataFrame, margins: Mapping[str, Mapping[str, float]]
) -> tuple[pd.Series, WeightSummary]:
    """Raking weights (mean 1) for one wave's respondents; answers hold the margin items."""
    import weightipy  # type: ignore[import-untyped]  # noqa: PLC0415 (loaded only when an export rakes)

    check_margins(margins)
    frame = pd.DataFrame(index=answers.index)
    targets: dict[str, dict[str, float]] = {}
    for item, shares in margins.items():
        values = answers[item].astype("string").fillna(NO_ANSWER)
        missing_share = float((values == NO_ANSWER).mean())
        present = set(values.unique())
        for value, share in shares.items():
            if share > 0 and value not in present:
                raise WeightingError(ERROR_EMPTY_CELL.format(item=item, value=value))
        # Answers the margins do not name are kept in their observed share too.
        other = {v: float((values == v).mean()) for v in present if v not in shares}
        scale = 1 - missing_share - sum(other.values())
        target = {v: 100 * s * scale for v, s in shares.items() if v in present}
        target.update({v: 100 * s for v, s in other.items()})
        if missing_share:
            target[NO_ANSWER] = 100 * missing_share
        frame[item] = values.astype(str)
        targets[item] = target
    # The rim engine caps weights while it rakes, so the capped weights still meet the margins.
    scheme = weightipy.scheme_from_dict(targets, rim_params={"cap": TRIM_RATIO})
    weights = weightipy.weight_dataframe(frame, scheme)["weights"].astype(float)
    weights = weights / weights.mean()
    trimmed = int((weights >= TRIM_RATIO - 1e-6).sum())
    return weights, WeightSummary(
        design_effect=round(design_effect(weights), 3),
        trimmed=trimmed,
        notes=(f"raked to {', '.join(margins)}; capped at {TRIM_RATIO:g} (mean 1) while raking",),
    )


def _design_matrix(covariates: pd.DataFrame) -> pd.DataFrame:
    """Numbers as they are (missing at the mean), categories as indicators."""
    parts = []
    for name in covariates.columns:
        column = covariates[name]
        numeric = pd.to_numeric(column, errors="coerce")
        if numeric.notna().sum() == column.notna().sum() and column.notna().any():
            parts.append(numeric.fillna(numeric.mean()).rename(name).to_frame())
        else:
            dummies = pd.get_dummies(column.astype("string").fillna(NO_ANSWER), prefix=name)
            parts.append(dummies.iloc[:, 1:].astype(float))
    matrix = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=covariates.index)
    matrix.insert(0, "const", 1.0)
    return matrix


def stay_probabilities(covariates: pd.DataFrame, stayed: pd.Series) -> pd.Series:
    """P(takes part again | earlier answers), by logistic regression."""
    import statsmodels.api as sm  # type: ignore[import-untyped]  # noqa: PLC0415 (loaded only when an export weights)

    matrix = _design_matrix(covariates)
    model = sm.Logit(stayed.astype(float), matrix)
    try:
        fitted = model.fit(disp=False, maxiter=100)
    except np.linalg.LinAlgError:
        # Collinear or separated covariates: a mild ridge still gives usable probabilities.
        fitted = model.fit_regularized(disp=False, alpha=1.0, L1_wt=0.0)
    return pd.Series(fitted.predict(matrix), index=covariates.index).clip(0.01, 1.0)


def step_factors(covariates: pd.DataFrame, stayed: pd.Series) -> pd.Series:
    """Each stayer's factor for one step: stay rate / P(stay | x), trimmed."""
    probability = stay_probabilities(covariates, stayed)
    rate = float(stayed.mean())
    factors = (rate / probability)[stayed.astype(bool)]
    trimmed, _ = _trim(factors)
    return trimmed


def chain(
    people_by_wave: Sequence[set[str]], factors_by_step: Sequence[Mapping[str, float]]
) -> dict[tuple[str, int], float]:
    """(person, wave position) -> the product of the person's step factors up to that wave."""
    weights: dict[tuple[str, int], float] = {}
    for position, people in enumerate(people_by_wave):
        for person in people:
            earlier = weights.get((person, position - 1), 1.0)
            step = factors_by_step[position - 1].get(person, 1.0) if position else 1.0
            weights[(person, position)] = earlier * step
    return weights


def band(weights: pd.Series, *, k: int) -> pd.Series:
    """Weights rounded to BAND; a band held by fewer than k rows joins its nearest full band."""
    banded = (weights / BAND).round() * BAND
    counts = banded.value_counts()
    full = np.sort(counts[counts >= k].index.to_numpy(dtype=float))
    if full.size == 0:
        return pd.Series(float(banded.median()), index=weights.index)
    sparse = banded.map(counts) < k
    nearest = full[np.abs(full[None, :] - banded[sparse].to_numpy()[:, None]).argmin(axis=1)]
    banded.loc[sparse] = nearest
    return banded.round(2)
