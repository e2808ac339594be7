from __future__ import annotations

import numpy as np
import pytest

from exports.anonymise.disclosure import disclosure_report, individual_risk


def test_disclosure_report_measures_k_and_reports_er_without_gating_it():
    # given people in classes of 3, 2 and 1
    sizes = np.array([3, 3, 3, 2, 2, 1])

    report = disclosure_report(sizes, ["age", "sex"], k=2, rows=6, layout="long", anonymised=None)

    assert report["k_reached"] == 1
    assert report["k_anonymous"] is False
    assert report["sample_uniques"] == 1
    assert report["equivalence_classes"] == 3
    # ER = 3 * 1/3 + 2 * 1/2 + 1 * 1/1 = 3, an upper bound without a population
    assert report["expected_reidentifications"] == pytest.approx(3.0)
    assert report["global_risk"] == pytest.approx(0.5)
    assert report["global_risk_gated"] is False
    assert report["release_gate"]["failures"] == ["k reached 1 < 2"]


def test_a_declared_population_gates_the_weighted_risk():
    sizes = np.array([5] * 100)

    small = disclosure_report(
        sizes, ["age"], k=5, rows=100, layout="long", anonymised=None, population=120
    )
    large = disclosure_report(
        sizes, ["age"], k=5, rows=100, layout="long", anonymised=None, population=1_000_000
    )

    assert small["release_gate"]["passed"] is False
    assert large["release_gate"]["passed"] is True
    assert large["global_risk"] < 0.01 < small["global_risk"]


def test_individual_risk_follows_sdcmicro_approximations():
    p = 0.1
    risk = individual_risk(np.array([1, 2, 5]), population=30)

    odds = p / (1 - p)
    assert risk[0] == pytest.approx(odds * np.log(1 / p))
    assert risk[1] == pytest.approx(odds - odds**2 * np.log(1 / p))
    assert risk[2] == pytest.approx(p / (5 - (1 - p)))
