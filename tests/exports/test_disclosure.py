from __future__ import annotations

import pandas as pd
import pytest

from exports.anonymise.disclosure import disclosure_report


def test_disclosure_report_measures_k_risk_and_expected_reidentifications():
    frame = pd.DataFrame({"age": [20, 20, 20, 30, 30, 40], "sex": [1, 1, 1, 2, 2, 1]})

    report = disclosure_report(
        frame, ["age", "sex"], k=2, group=None, suppressions={"age": 0}, coarsening={}
    )

    assert report["k_reached"] == 1
    assert report["k_anonymous"] is False
    assert report["sample_uniques"] == 1
    assert report["equivalence_classes"] == 3
    # ER = 3 * 1/3 + 2 * 1/2 + 1 * 1/1 = 3
    assert report["expected_reidentifications"] == pytest.approx(3.0)
    assert report["global_risk"] == pytest.approx(0.5)
    assert report["individual_risk"]["max"] == 1.0


def test_disclosure_report_counts_within_each_wave():
    frame = pd.DataFrame({"wave": [1, 1, 2, 2], "sex": [1, 1, 1, 1]})

    report = disclosure_report(frame, ["sex"], k=2, group="wave", suppressions={}, coarsening={})

    assert report["k_reached"] == 2
    assert report["checked_within"] == "wave"
