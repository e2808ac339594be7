"""Weights: raking meets the entered margins, attrition weights recover the full panel's
means, and released weights single nobody out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from exports.weights import WeightingError, band, chain, check_margins, rake, step_factors


def _panel(n: int = 20_000, seed: int = 5) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Wave-1 covariates, who stays for wave 2 (it depends on them), and three outcomes
    that depend on them too, known for everyone (what a full panel would show)."""
    rng = np.random.default_rng(seed)
    covariates = pd.DataFrame(
        {
            "age_band": rng.choice(["18-29", "30-44", "45-59", "60+"], n, p=(0.3, 0.4, 0.2, 0.1)),
            "sex": rng.choice(["f", "m"], n),
            "country": rng.choice(["ge", "am", "kz", "rs"], n, p=(0.4, 0.3, 0.2, 0.1)),
        }
    )
    young = (covariates["age_band"] == "18-29").to_numpy()
    old = (covariates["age_band"] == "60+").to_numpy()
    male = (covariates["sex"] == "m").to_numpy()
    georgia = (covariates["country"] == "ge").to_numpy()
    stay_logit = 0.6 - 1.6 * young + 0.8 * old - 0.5 * male + 0.6 * georgia
    stayed = pd.Series(rng.random(n) < 1 / (1 + np.exp(-stay_logit)))
    outcomes = pd.DataFrame(
        {
            "trusts_people": rng.random(n) < 0.25 + 0.45 * young + 0.1 * male,
            "plans_return": rng.random(n) < 0.40 - 0.3 * young + 0.25 * old + 0.1 * georgia,
            "follows_news": rng.random(n) < 0.50 + 0.3 * old - 0.3 * young,
        }
    )
    return covariates, stayed, outcomes


def test_attrition_weights_recover_the_full_panel_means():
    covariates, stayed, outcomes = _panel()
    factors = step_factors(covariates, stayed)
    stayers = outcomes[stayed.to_numpy()]
    for name in outcomes.columns:
        full = 100 * outcomes[name].mean()
        unweighted = 100 * stayers[name].mean()
        weighted = 100 * np.average(stayers[name], weights=factors.loc[stayers.index])
        # then the panel alone is off by 5 points or more, and weighting brings it within 1
        assert abs(unweighted - full) >= 5, name
        assert abs(weighted - full) <= 1, name


def test_raking_meets_the_entered_margins_within_half_a_point():
    rng = np.random.default_rng(1)
    answers = pd.DataFrame(
        {
            "country": rng.choice(["ge", "am", "rs", "kz"], 3000, p=(0.55, 0.25, 0.15, 0.05)),
            "sex": rng.choice(["m", "f"], 3000, p=(0.7, 0.3)),
        }
    )
    margins = {
        "country": {"ge": 0.35, "am": 0.3, "rs": 0.2, "kz": 0.15},
        "sex": {"m": 0.5, "f": 0.5},
    }
    weights, summary = rake(answers, margins)
    for item, shares in margins.items():
        achieved = weights.groupby(answers[item]).sum() / weights.sum()
        for value, share in shares.items():
            assert abs(100 * achieved[value] - 100 * share) <= 0.5
    assert weights.max() <= 5.0 + 1e-6
    assert summary.design_effect > 1


def test_margins_that_do_not_sum_to_100_are_refused():
    with pytest.raises(WeightingError, match=r"sum to 90.0%, not 100%"):
        check_margins({"country": {"ge": 0.5, "am": 0.4}})


def test_a_margin_nobody_answered_is_refused():
    answers = pd.DataFrame({"country": ["ge", "am", "ge"]})
    with pytest.raises(WeightingError, match="no respondent gave that answer"):
        rake(answers, {"country": {"ge": 0.5, "am": 0.3, "rs": 0.2}})


def test_chained_weights_multiply_the_steps_of_each_person():
    people = [{"a", "b", "c"}, {"a", "b"}, {"a"}]
    steps = [{"a": 1.5, "b": 0.8}, {"a": 2.0}]
    weights = chain(people, steps)
    assert weights[("a", 2)] == pytest.approx(3.0)
    assert weights[("b", 1)] == pytest.approx(0.8)
    assert weights[("c", 0)] == 1.0


def test_banded_weights_are_shared_by_at_least_k_rows():
    rng = np.random.default_rng(3)
    weights = pd.Series(rng.lognormal(0, 0.5, 2000))
    banded = band(weights, k=5)
    assert banded.value_counts().min() >= 5
    assert (banded - weights).abs().median() < 0.05
