from __future__ import annotations

import math

import pyreadr

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
