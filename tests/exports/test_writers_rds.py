from __future__ import annotations

import math

import pandas as pd
import pyreadr

from exports.dataset import Dataset, Variable
from exports.writers.rds import write_rds
from tests.exports.handmade import LONG_NAME, LONG_VALUE_LABEL, make_dataset


def test_write_rds_writes_labelled_items_as_factors_with_every_level(tmp_path):
    written = write_rds(make_dataset(), tmp_path, basename="data")

    frame = pyreadr.read_r(str(written.paths[0]))[None]

    assert str(frame["trust"].dtype) == "category"
    assert list(frame["trust"].cat.categories) == ["Можно доверять", "Нужно быть осторожным"]
    assert frame["trust"].astype(object).tolist()[:2] == ["Можно доверять", "Нужно быть осторожным"]
    assert list(frame[LONG_NAME].cat.categories) == [LONG_VALUE_LABEL, "Недоверие"]
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
            value_labels={0: "None", 10: "Full"},
            missing_codes={-2: "No answer"},
        ),
        Variable("twin", "Twin", "numeric", value_labels={1: "Low", 10: "High"}),
        Variable("ends", "Ends", "numeric", value_labels={0: "None", 10: "Full"}),
    ]
    frame = pd.DataFrame(
        {
            "scale": [0.0, 5.0, 10.0, -2.0],
            "twin": [6.4, 1.0, 10.0, 1.0],
            "ends": [0.0, 10.0, 0.0, 10.0],
        }
    )
    dataset = Dataset(
        variables=variables, chunks=lambda: iter([frame]), rows=4, sample_definition="",
        cleaning_rules={}, disclosure_report={}, missing_scheme={},
    )  # fmt: skip

    written = write_rds(dataset, tmp_path, basename="data")
    back = pyreadr.read_r(str(tmp_path / "data.rds"))[None]

    assert back["scale"].tolist()[:3] == [0.0, 5.0, 10.0]
    assert math.isnan(back["scale"].tolist()[3])
    assert back["twin"].tolist() == [6.4, 1.0, 10.0, 1.0]
    assert back["ends"].astype(object).tolist() == ["None", "Full", "None", "Full"]
    assert "stays numeric" in written.notes[0]
