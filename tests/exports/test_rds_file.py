"""The .rds of the R export, written from columns (exports/writers/rds_file.py), is byte for
byte what pyreadr wrote for the same frame, and R reads what was written."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import pytest

from exports.writers.rds_file import RdsTypeError, write_data_frame


def _frames() -> dict[str, pd.DataFrame]:
    return {
        "every column type the R export writes": pd.DataFrame(
            {
                "code": pd.array([1, None, 3, -2_147_483_647], dtype="Int32"),
                "share": [1.5, np.nan, np.inf, -0.0],
                "flag": pd.array([True, None, False, True], dtype="boolean"),
                "text": ["", None, 'tab\there "q" \\ line\nbreak', "Привет ✓"],
                "date": pd.array(["2026-03-01", "", None, "1990-12-31"], dtype="string"),
            }
        ),
        "another index, Cyrillic names": pd.DataFrame(
            {"вопрос": [2.0, 1.0], "x.y": pd.array([None, 7], dtype="Int32")}, index=[10, 4]
        ),
        "no rows": pd.DataFrame({"code": pd.array([], dtype="Int32"), "text": []}),
        "no columns": pd.DataFrame(index=range(3)),
    }


@pytest.mark.parametrize("name", list(_frames()))
def test_the_stream_is_pyreadrs_byte_for_byte(tmp_path, name):
    frame = _frames()[name]
    pyreadr.write_rds(str(tmp_path / "pyreadr.rds"), frame)

    with (tmp_path / "ours.rds").open("wb") as out:
        write_data_frame(out, frame)

    assert (tmp_path / "ours.rds").read_bytes() == (tmp_path / "pyreadr.rds").read_bytes()


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_r_reads_the_gzipped_stream(tmp_path):
    frame = _frames()["every column type the R export writes"]
    with gzip.open(tmp_path / "data.rds", "wb", compresslevel=1) as out:
        write_data_frame(out, frame)
    script = (
        f'd <- readRDS("{tmp_path / "data.rds"}"); '
        "cat(class(d$code), class(d$share), class(d$flag), class(d$text), sep = ','); cat('\\n'); "
        "cat(sum(is.na(d$code)), sum(is.na(d$flag)), sum(is.na(d$text)), sep = ','); cat('\\n'); "
        "cat(d$text[4], nchar(d$text[3]), sep = ','); cat('\\n')"
    )

    lines = subprocess.run(
        ["Rscript", "-e", script], check=True, capture_output=True, text=True
    ).stdout.splitlines()

    assert lines == ["integer,numeric,logical,character", "1,1,1", "Привет ✓,25"]


def test_a_column_of_another_type_is_refused_by_name():
    frame = pd.DataFrame({"when": pd.to_datetime(["2026-01-01"])})

    with pytest.raises(RdsTypeError, match="'when'"), Path("/dev/null").open("wb") as out:
        write_data_frame(out, frame)


def test_a_number_in_a_text_column_is_refused():
    frame = pd.DataFrame({"text": ["a", 3]})

    with pytest.raises(RdsTypeError, match="not text"), Path("/dev/null").open("wb") as out:
        write_data_frame(out, frame)
