"""Regression tests for defects found in review of exports/."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from exports.anonymise.kanon import band_numbers
from exports.assembly import build_dataset
from exports.dataset import ExportSpec
from tests.exports.exporting import use_media
from tests.exports.fixtures import build_three_wave_panel


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


def test_band_numbers_keeps_an_unparseable_answer_as_nan_instead_of_crashing():
    # given an age column where one answer could not be read as a number (NaN)
    ages = pd.Series([30.0, 31.0, math.nan, 45.0, 46.0, -2.0])

    coded, labels, _ = band_numbers(ages, 2, is_age=True)

    assert coded.tolist()[:2] == [30.0, 30.0]
    assert math.isnan(coded.tolist()[2])
    assert coded.tolist()[3:] == [45.0, 45.0, -2.0]
    assert labels == {30: "30-34", 45: "45-49"}


@pytest.mark.django_db
def test_a_long_export_reports_the_people_its_pid_singles_out_across_waves(media):
    # given: the three-wave panel, whose people's quasi-identifiers change between waves
    panel = build_three_wave_panel()
    spec = ExportSpec(
        study_id=panel.study.pk, wave_ids=tuple(panel.wave_ids), sample="combined",
        layout="long", k=2, max_global_risk=1.0,
    )  # fmt: skip

    # when
    dataset = build_dataset(spec)
    report = dataset.disclosure_report

    # then: the count is what joining the released rows by pid gives
    released = pd.concat(dataset.chunks())
    quasi = report["quasi_identifiers"]
    rows = released[["wave", *quasi]].astype(str).agg("|".join, axis=1)
    per_person = rows.groupby(released["pid"]).agg(lambda r: "#".join(sorted(r)))
    expected = int((per_person.map(per_person.value_counts()) == 1).sum())
    assert report["people_unique_across_waves"] == expected > 0
    assert "k-anonymity holds within each wave" in report["people_unique_across_waves_note"]
