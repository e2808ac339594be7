"""Regression tests for defects found in review of exports/."""

from __future__ import annotations

import math

import pandas as pd

from exports.anonymise.kanon import band_numbers


def test_band_numbers_keeps_an_unparseable_answer_as_nan_instead_of_crashing():
    # given an age column where one answer could not be read as a number (NaN)
    ages = pd.Series([30.0, 31.0, math.nan, 45.0, 46.0, -2.0])

    coded, labels, _ = band_numbers(ages, 2, is_age=True)

    assert coded.tolist()[:2] == [30.0, 30.0]
    assert math.isnan(coded.tolist()[2])
    assert coded.tolist()[3:] == [45.0, 45.0, -2.0]
    assert labels == {30: "30-34", 45: "45-49"}
