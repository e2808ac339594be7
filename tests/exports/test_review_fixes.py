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
def test_a_long_export_singles_out_nobody_when_its_pid_joins_the_waves(media):
    # given: the three-wave panel, whose people's quasi-identifiers change between waves
    panel = build_three_wave_panel()
    spec = ExportSpec(
        study_id=panel.study.pk, wave_ids=tuple(panel.wave_ids), sample="combined",
        layout="long", k=2, max_global_risk=1.0,
    )  # fmt: skip

    # when
    dataset = build_dataset(spec)
    report = dataset.disclosure_report

    # then: joining the released rows by pid singles out nobody (k holds over people)
    released = pd.concat(dataset.chunks())
    quasi = report["quasi_identifiers"]
    rows = released[quasi].replace(-4.0, -6.0).astype(str).agg("|".join, axis=1)
    per_person = rows.groupby(released["pid"]).agg(lambda r: "#".join(sorted(set(r))))
    assert per_person.value_counts().min() >= 2
    assert report["people_unique_across_waves"] == 0
    assert "across the waves" in report["people_unique_across_waves_note"]
