from __future__ import annotations

import pandas as pd
import pytest

from exports.writers import WriterError, get_writer
from exports.writers.csv import write_csv
from tests.exports.handmade import ROWS, VARIABLES, as_frame, make_dataset


def test_write_csv_streams_every_chunk_as_utf8_codes(tmp_path):
    progress: list[int] = []

    written = write_csv(
        make_dataset(chunk_size=2), tmp_path, basename="data", progress=progress.append
    )

    assert written.paths == [tmp_path / "data.csv"]
    assert written.rows == len(ROWS)
    assert written.shortenings == []
    assert progress == [2, 4, 5]
    back = pd.read_csv(tmp_path / "data.csv", encoding="utf-8", keep_default_na=False)
    assert list(back.columns) == [v.name for v in VARIABLES]
    assert back["comment"].tolist() == as_frame()["comment"].tolist()
    # a missing answer is an empty cell (null) by default
    assert back["trust"].tolist() == ["1", "2", "", "", "1"]
    assert back["age"].tolist() == ["34", "", "51.5", "35", ""]


def test_write_csv_prints_integral_codes_without_a_decimal_point(tmp_path):
    write_csv(make_dataset(), tmp_path, basename="data")

    lines = (tmp_path / "data.csv").read_text(encoding="utf-8").splitlines()

    assert lines[1] == "p1,1,1,34,1,Всё хорошо"
    assert lines[3] == 'p3,2,,51.5,,"Нормально, спасибо"'


def test_write_csv_keeps_missing_codes_when_asked(tmp_path):
    dataset = make_dataset()
    dataset.keep_missing_codes = True

    write_csv(dataset, tmp_path, basename="data")

    lines = (tmp_path / "data.csv").read_text(encoding="utf-8").splitlines()
    assert lines[3] == 'p3,2,-3,51.5,-4,"Нормально, спасибо"'


def test_write_csv_makes_formula_cells_inert(tmp_path):
    rows = [("p1", 1.0, 1.0, 34.0, 1.0, text) for text in ("=HYPERLINK(1)", "+1", "@SUM", "-2")]
    rows.append(("p2", 1.0, 1.0, 34.0, 1.0, "\tcmd"))

    write_csv(make_dataset(rows=rows), tmp_path, basename="data")

    back = pd.read_csv(tmp_path / "data.csv", keep_default_na=False)
    assert back["comment"].tolist() == ["'=HYPERLINK(1)", "'+1", "'@SUM", "'-2", "'\tcmd"]
    assert back["trust"].tolist() == [1] * 5


def test_write_csv_refuses_a_dataset_whose_chunks_miss_rows(tmp_path):
    dataset = make_dataset()
    dataset.rows = 6

    with pytest.raises(WriterError, match="announced 6 rows but its chunks held 5"):
        write_csv(dataset, tmp_path, basename="data")


def test_get_writer_names_the_formats_on_an_unknown_one():
    with pytest.raises(
        WriterError, match=r"format must be one of csv, sav, dta, parquet, rds \(got 'xls'\)"
    ):
        get_writer("xls")
