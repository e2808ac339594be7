"""The .sav cases and the .dta file are encoded from columns (exports/writers/sav_cases.py,
dta_file.py): what they hold must read back exactly in every client, across the edges of
each format (bytecode range -99..151, strings of 255/256 bytes and beyond 2045, Cyrillic,
dates before 1960 and at the Gregorian start, rows split over blocks)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from exports.dataset import Dataset, Variable
from exports.writers import dta_file, sav_cases
from exports.writers.spss import write_sav
from exports.writers.stata import write_dta

NEEDS_R = pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
NEEDS_PSPP = pytest.mark.skipif(shutil.which("pspp") is None, reason="pspp is not installed")
MISSING = {-2: "No answer", -4: "Not asked", -5: "Break-off"}
VARIABLES = [
    Variable("pid", "Person", "string"),
    Variable(
        "trust",
        "Доверие",
        "numeric",
        type="integer",
        value_labels={1: "Да", 2: "Нет", 300: "Много"},
        missing_codes=MISSING,
    ),
    Variable("age", "Возраст", "numeric", measure="scale", missing_codes=MISSING),
    Variable("moves", "Moves", "numeric", type="integer", measure="scale"),
    Variable("arrived", "Дата", "string", type="date"),
    Variable("note", "Short text", "string"),
    Variable("story", "Long text", "string"),
    Variable("essay", "Very long text", "string"),
]
COLUMNS: dict[str, list[Any]] = {
    "pid": [f"p{i}" for i in range(7)],
    "trust": [1, 2, -2, 300, -4, 1, -5],
    "age": [34.5, -2, 1e6, np.nan, -99.0, 151.0, 152.0],
    "moves": [0, 70000, -5, 3, 100000, 2, 1],
    "arrived": ["2022-03-01", "", "1960-01-01", "1582-10-15", "2024-02-29", "", "1959-12-31"],
    "note": ["", "Привет", "a,b", "", "x" * 8, "Всё", ""],
    "story": ["Ж" * 200, "", "q" * 255, "w" * 256, "Долгий путь" * 40, "e" * 509, "z"],
    "essay": ["", "Я" * 1500, "", "h" * 2046, "ok", "", "y" * 5000],
}
ROWS = 7


def _dataset() -> Dataset:
    frame = pd.DataFrame(COLUMNS)
    for v in VARIABLES:
        frame[v.name] = frame[v.name].astype(object if v.kind == "string" else "float64")

    def chunks():
        for start in range(0, ROWS, 3):
            yield frame.iloc[start : start + 3].reset_index(drop=True)

    return Dataset(
        variables=list(VARIABLES),
        chunks=chunks,
        rows=ROWS,
        sample_definition="",
        cleaning_rules={},
        disclosure_report={},
        missing_scheme=MISSING,
        title="Панель",
    )


def _texts(values) -> list[str]:
    return ["" if v is None or v != v else str(v) for v in values]


@pytest.fixture(params=[2, 50_000], ids=["blocks_of_2_rows", "one_block"])
def files(request, tmp_path, monkeypatch) -> dict[str, Path]:
    monkeypatch.setattr(sav_cases, "BLOCK_ROWS", request.param)
    monkeypatch.setattr(dta_file, "BLOCK_ROWS", request.param)
    return {
        "sav": write_sav(_dataset(), tmp_path, basename="data").paths[0],
        "dta": write_dta(_dataset(), tmp_path, basename="data").paths[0],
    }


def test_sav_cases_read_back_exactly_with_their_dictionary(files):
    frame, meta = pyreadstat.read_sav(str(files["sav"]), user_missing=True)

    assert frame["trust"].tolist() == [1, 2, -2, 300, -4, 1, -5]
    assert frame["age"].tolist()[:3] == [34.5, -2.0, 1e6]
    assert np.isnan(frame["age"][3])
    assert frame["age"].tolist()[4:] == [-99.0, 151.0, 152.0]
    assert frame["moves"].tolist() == COLUMNS["moves"]
    assert [d.isoformat() if d == d else "" for d in frame["arrived"]] == COLUMNS["arrived"]
    for name in ("pid", "note", "story", "essay"):
        assert _texts(frame[name]) == COLUMNS[name], name
    assert meta.original_variable_types["essay"] == "A5000"
    assert meta.original_variable_types["note"] == "A12"
    assert meta.missing_ranges["trust"] == [{"lo": -5.0, "hi": -1.0}]
    assert meta.variable_value_labels["trust"][300] == "Много"
    assert meta.number_rows == ROWS


def test_dta_reads_back_exactly_in_pyreadstat_and_in_pandas_own_reader(files):
    frame, meta = pyreadstat.read_dta(str(files["dta"]), user_missing=True)
    # pandas reads .dta with its own code, not ReadStat's
    other = pd.read_stata(files["dta"], convert_categoricals=False, convert_dates=False)

    assert frame["trust"].tolist() == [1, 2, "b", 300, "d", 1, "e"]
    assert frame["moves"].tolist() == COLUMNS["moves"]
    assert [d.isoformat() if d == d else "" for d in frame["arrived"]] == COLUMNS["arrived"]
    for name in ("pid", "note", "story", "essay"):
        assert _texts(frame[name]) == COLUMNS[name], name
        assert _texts(other[name]) == COLUMNS[name], name
    labels: Any = meta.variable_value_labels
    assert labels["trust"]["d"] == "Not asked"
    assert meta.original_variable_types["arrived"] == "%td"
    # days since 1960: the Gregorian start and the eve of Stata's day 0
    assert other["arrived"].tolist()[3] == -137774
    assert other["arrived"].tolist()[6] == -1
    # smallest types: codes up to 300 as int, counts as long, text at its widest
    assert [str(t) for t in other.dtypes[["trust", "moves"]]] == ["float64", "int32"]
    assert meta.original_variable_types["note"] == "%12s"
    assert meta.original_variable_types["essay"] == "%9s"  # a strL
    assert meta.file_label == "Панель"


@NEEDS_R
def test_r_haven_reads_the_same_values_from_sav_and_dta(files):
    script = f"""
    library(haven)
    s <- read_sav("{files["sav"]}", user_na = TRUE)
    d <- read_dta("{files["dta"]}")
    cat(as.numeric(s$trust), "\\n")
    cat(ifelse(is.na(d$trust), paste0(".", na_tag(d$trust)), d$trust), "\\n")
    cat(nchar(s$essay), "\\n")
    cat(nchar(d$essay), "\\n")
    cat(format(s$arrived), "\\n")
    cat(format(d$arrived), "\\n")
    """
    out = subprocess.run(
        ["Rscript", "-e", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()

    assert out[0].split() == ["1", "2", "-2", "300", "-4", "1", "-5"]
    assert out[1].split() == ["1", "2", ".b", "300", ".d", "1", ".e"]
    lengths = [str(len(t)) for t in COLUMNS["essay"]]
    assert out[2].split() == lengths
    assert out[3].split() == lengths
    dates = [d or "NA" for d in COLUMNS["arrived"]]
    assert out[4].split() == dates
    assert out[5].split() == dates


@NEEDS_PSPP
def test_pspp_reads_the_sav_cases_and_keeps_the_missing_values_out(files, tmp_path):
    syntax = tmp_path / "read.sps"
    syntax.write_text(
        f"GET FILE='{files['sav']}'.\n"
        "COMPUTE bytes = LENGTH(RTRIM(essay)).\n"
        "FORMATS bytes (F5.0).\n"
        "LIST /VARIABLES=trust moves bytes.\n"
        "DESCRIPTIVES /VARIABLES=trust.\n",
        encoding="utf-8",
    )
    listing = tmp_path / "out.txt"

    subprocess.run(["pspp", str(syntax), "-o", str(listing)], check=True, timeout=120)
    text = listing.read_text(encoding="utf-8")

    rows = [line.split("|")[1:4] for line in text.splitlines() if line.count("|") == 4]
    values = [[cell.strip() for cell in row] for row in rows[1:8]]
    expected_bytes = [len(t.encode()) for t in COLUMNS["essay"]]
    assert values == [
        [str(t), str(m), str(b)]
        for t, m, b in zip(COLUMNS["trust"], COLUMNS["moves"], expected_bytes, strict=True)
    ]
    # the mean of the four valid answers (1, 2, 300, 1): the missing codes are left out
    assert "76.00" in text


def test_compression_codes_whole_numbers_blanks_and_missing_and_keeps_the_rest():
    # given two cases of a number slot and a string slot
    numbers = np.array([5.0, 1.5, np.nan, -100.0])
    slots = np.empty((4, 2), dtype=np.uint64)
    slots[:, 0] = numbers.view(np.uint64)
    slots[2, 0] = sav_cases.SYSMIS
    slots[:, 1] = np.array(
        [sav_cases.EIGHT_SPACES, 0x4141414141414141, sav_cases.EIGHT_SPACES, 1], dtype=np.uint64
    )

    out = np.frombuffer(sav_cases.compress(slots, np.array([False, True])), dtype="<u8")

    # then one block of eight codes, followed by the four slots given as they are
    codes = out[:1].view(np.uint8).tolist()
    assert codes == [105, 254, 253, 253, 255, 254, 253, 253]
    assert out[1:].tolist() == [
        np.float64(1.5).view(np.uint64),
        0x4141414141414141,
        np.float64(-100.0).view(np.uint64),
        1,
    ]
