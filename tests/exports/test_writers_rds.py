from __future__ import annotations

import math

import pandas as pd
import pyreadr

from exports.dataset import Dataset, Variable
from exports.writers.rds import write_rds
from tests.exports.handmade import make_dataset


def test_write_rds_keeps_codes_and_ships_the_reasons_and_an_r_script(tmp_path):
    written = write_rds(make_dataset(), tmp_path, basename="data")

    frame = pyreadr.read_r(str(written.paths[0]))[None]
    reasons = pyreadr.read_r(str(written.paths[1]))[None]
    script = written.paths[2].read_text(encoding="utf-8")

    assert [p.name for p in written.paths] == ["data.rds", "data_missing.rds", "data.R"]
    assert frame["trust"].tolist()[:2] == [1, 2]
    assert reasons["trust"].tolist()[2:4] == [-3, -2]
    assert "pw_label(" in script
    assert "library(haven)" in script
    assert "NA" in written.notes[0]


def test_write_rds_turns_missing_codes_into_na(tmp_path):
    write_rds(make_dataset(), tmp_path, basename="data")

    frame = pyreadr.read_r(str(tmp_path / "data.rds"))[None]

    assert frame["trust"].isna().tolist() == [False, False, True, True, False]
    ages = frame["age"].tolist()
    assert [a for a in ages if not math.isnan(a)] == [34.0, 51.5, 35.0]
    assert frame["comment"].tolist()[0] == "Всё хорошо"


def test_write_rds_keeps_a_partly_labelled_variable_numeric(tmp_path):
    # given a 0-10 scale labelled at its ends and a twin with a non-integer code
    variables = [
        Variable(
            "scale",
            "Scale",
            "numeric",
            type="integer",
            value_labels={0: "None", 10: "Full"},
            missing_codes={-2: "No answer"},
        ),
        Variable("twin", "Twin", "numeric", value_labels={1: "Low", 10: "High"}),
    ]
    frame = pd.DataFrame({"scale": [0.0, 5.0, 10.0, -2.0], "twin": [6.4, 1.0, 10.0, 1.0]})
    dataset = Dataset(
        variables=variables, chunks=lambda: iter([frame]), rows=4, sample_definition="",
        cleaning_rules={}, disclosure_report={}, missing_scheme={},
    )  # fmt: skip

    write_rds(dataset, tmp_path, basename="data")
    back = pyreadr.read_r(str(tmp_path / "data.rds"))[None]

    assert back["scale"].tolist()[:3] == [0, 5, 10]
    assert pd.isna(back["scale"].tolist()[3])
    assert back["twin"].tolist() == [6.4, 1.0, 10.0, 1.0]
