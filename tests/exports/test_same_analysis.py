"""One export in every format, read back in each format's own client: the same mean of a
labelled item over its valid answers, labels and missing reasons available, and integer,
boolean and date columns typed as such (pyreadstat, pyarrow, pandas, and R with haven)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from exports.assembly import build_dataset
from exports.codebook import ExportDescription, write_codebook
from exports.dataset import ExportSpec
from exports.writers import get_writer
from respondents.models import Response, ResponseStatus, Wave, WaveState
from surveys.models import Study
from tests.builders import build_version, make_study
from tests.exports.fixtures import build_three_wave_panel

pytestmark = pytest.mark.django_db

ITEM = "trust"
NEEDS_R = pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")


def _export(panel, directory: Path, fmt: str, *, codes: bool = False) -> Path:
    spec = ExportSpec(
        study_id=panel.study.pk,
        wave_ids=panel.wave_ids,
        sample="combined",
        layout="long",
        k=2,
        include_flagged=True,
        language="ru",
        pseudonym_key=b"s" * 32,
        missing_codes=codes,
    )
    dataset = build_dataset(spec)
    directory.mkdir()
    written = get_writer(fmt)(dataset, directory, basename="data")
    about = ExportDescription(
        study="panel", format=fmt, sample="combined", layout="long", waves=("w1", "w2", "w3"),
        language="ru", k=2, include_flagged=True, created_at=pd.Timestamp.now(tz="UTC"),
    )  # fmt: skip
    write_codebook(dataset, written, about, directory, basename="data")
    return written.paths[0]


@pytest.fixture
def exports(tmp_path):
    panel = build_three_wave_panel()
    paths = {fmt: _export(panel, tmp_path / fmt, fmt) for fmt in ("sav", "dta", "parquet", "csv")}
    paths["csv_codes"] = _export(panel, tmp_path / "csv_codes", "csv", codes=True)
    paths["rds"] = _export(panel, tmp_path / "rds", "rds")
    return paths


def _expected_mean(exports) -> float:
    # the CSV with codes kept: the valid answers are the non-negative codes
    frame = pd.read_csv(exports["csv_codes"])
    return float(frame.loc[frame[ITEM] >= 0, ITEM].mean())


def test_spss_and_stata_agree_on_the_mean_and_keep_labels_and_reasons(exports):
    expected = _expected_mean(exports)
    sav, sav_meta = pyreadstat.read_sav(str(exports["sav"]), user_missing=True)
    dta, dta_meta = pyreadstat.read_dta(str(exports["dta"]), user_missing=True)
    plain_sav, _ = pyreadstat.read_sav(str(exports["sav"]))

    # SPSS: missing reasons are user-missing values; a plain read leaves them out
    assert plain_sav[ITEM].mean() == pytest.approx(expected)
    assert sav_meta.missing_ranges[ITEM]
    labels = sav_meta.variable_value_labels[ITEM]
    assert labels[1.0] == "Можно доверять" or labels[1.0] == "Большинству можно доверять"
    # the abandoned response's break-off (-5) is kept, with its reason
    assert -5.0 in labels
    assert -5.0 in set(sav[ITEM])
    assert sav_meta.original_variable_types[ITEM] == "F2.0"
    assert sav_meta.original_variable_types["complete"] == "F1.0"
    assert sav_meta.column_names_to_labels["complete"] == "Анкета заполнена до конца"
    # Stata: extended missing values with labels
    valid = dta[ITEM][dta[ITEM].map(lambda v: not isinstance(v, str))].astype(float)
    assert valid.mean() == pytest.approx(expected)
    assert "e" in set(dta[ITEM].map(str))
    assert "e" in {str(code) for code in dta_meta.variable_value_labels[ITEM]}


def test_parquet_and_csv_are_typed_with_nulls_for_missing_answers(exports):
    expected = _expected_mean(exports)
    table = pq.read_table(exports["parquet"])
    schema = table.schema

    assert str(schema.field(ITEM).type) == "int8"
    assert str(schema.field("complete").type) == "bool"
    assert str(schema.field("version").type) == "int32"
    assert table.column(ITEM).to_pandas().mean() == pytest.approx(expected)
    meta = json.loads(schema.field(ITEM).metadata[b"panelwave"])
    assert meta["value_labels"]["2"] == "Нужно быть осторожным"
    assert meta["missing_codes"]["-4"] == "Не задавался в этой волне или версии"  # noqa: RUF001
    # choice names that are not codes are the values
    assert set(table.column("source").drop_null().to_pylist()) <= {"friends", "press", "other"}
    frame = pd.read_csv(exports["csv"])
    assert frame[ITEM].mean() == pytest.approx(expected)
    assert str(frame[ITEM].dtype) in ("int64", "float64")
    assert frame["complete"].dropna().isin([0, 1]).all()
    package = json.loads((exports["csv"].parent / "datapackage.json").read_text())
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["complete"]["type"] == "boolean"
    assert fields[ITEM]["type"] == "integer"
    assert {m["value"] for m in fields[ITEM]["panelwave_missing_codes"]} >= {"-5"}


@NEEDS_R
def test_r_with_haven_gets_the_same_mean_labels_and_missing_reasons(exports):
    expected = _expected_mean(exports)
    folder = exports["rds"].parent
    script = f"""
    setwd({json.dumps(str(folder))})
    source("data.R")
    x <- data[["{ITEM}"]]
    cat(sprintf("%.10f\\n", mean(x, na.rm = TRUE)))
    cat(class(x)[1], "\\n")
    cat(sum(haven::na_tag(x) == "e", na.rm = TRUE), "\\n")
    cat(attr(x, "label"), "\\n")
    cat(class(data[["complete"]]), class(data[["version"]]), "\\n")
    """
    out = subprocess.run(
        ["Rscript", "-e", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()

    assert float(out[0]) == pytest.approx(expected)
    assert out[1].strip() == "haven_labelled"
    assert int(out[2]) > 0
    assert "доверять" in out[3]
    assert out[4].split() == ["logical", "integer"]


DATES = ("2022-03-01", "2022-09-21", "2023-01-15", None, "2024-06-30", "2022-03-01")


def _dated_study() -> tuple[Study, Wave]:
    study = make_study("dated")
    pages = [
        {
            "name": "move",
            "questions": [
                {
                    "name": "arrived",
                    "type": "date",
                    "labels": {"en": "Date you arrived", "ru": "Дата приезда"},
                },
                {
                    "name": "moves",
                    "type": "integer",
                    "labels": {"en": "Moves since", "ru": "Число переездов"},
                },
            ],
        }
    ]
    version = build_version(study, pages)
    wave = Wave.objects.create(
        study=study, version=version, name="w1", slug="dated-w1", state=WaveState.CLOSED
    )
    start = datetime(2025, 1, 10, tzinfo=UTC)
    for index, arrived in enumerate(DATES):
        answers: dict[str, object] = {"moves": index % 3}
        if arrived:
            answers["arrived"] = arrived
        Response.objects.create(
            wave=wave,
            status=ResponseStatus.COMPLETED,
            language="ru",
            answers=answers,
            started_at=start + timedelta(hours=index),
            completed_at=start + timedelta(hours=index, minutes=5),
        )
    return study, wave


@pytest.fixture
def dated(tmp_path):
    study, wave = _dated_study()
    spec = ExportSpec(
        study_id=study.pk, wave_ids=(wave.pk,), sample="combined", layout="long", k=1,
        include_flagged=True, language="ru", pseudonym_key=b"d" * 32,
    )  # fmt: skip
    paths = {}
    for fmt in ("sav", "dta", "parquet", "csv", "rds"):
        directory = tmp_path / fmt
        directory.mkdir()
        paths[fmt] = get_writer(fmt)(build_dataset(spec), directory, basename="data").paths[0]
    return paths


def test_dates_and_integers_keep_their_types_in_every_client(dated):
    expected = sorted(date.fromisoformat(d) for d in DATES if d)
    sav, sav_meta = pyreadstat.read_sav(str(dated["sav"]))
    assert sav_meta.original_variable_types["arrived"] == "DATE11"
    assert sorted(d for d in sav["arrived"] if isinstance(d, date)) == expected
    dta, dta_meta = pyreadstat.read_dta(str(dated["dta"]))
    assert dta_meta.original_variable_types["arrived"] == "%td"
    assert sorted(pd.Timestamp(d).date() for d in dta["arrived"].dropna()) == expected
    table = pq.read_table(dated["parquet"])
    assert str(table.schema.field("arrived").type) == "date32[day]"
    assert str(table.schema.field("moves").type).startswith("int")
    assert sorted(d for d in table.column("arrived").to_pylist() if d) == expected
    frame = pd.read_csv(dated["csv"], parse_dates=["arrived"])
    assert sorted(d.date() for d in frame["arrived"].dropna()) == expected
    assert str(frame["moves"].dtype) == "int64"


@NEEDS_R
def test_r_reads_the_dates_as_dates(dated):
    folder = dated["rds"].parent
    script = f"""
    setwd({json.dumps(str(folder))})
    source("data.R")
    # haven's tagged missing reasons need doubles; the .rds alone keeps the R integer
    cat(class(data[["arrived"]]), class(readRDS("data.rds")[["moves"]]), "\\n")
    cat(format(min(data[["arrived"]], na.rm = TRUE)), sum(is.na(data[["arrived"]])), "\\n")
    """
    out = subprocess.run(
        ["Rscript", "-e", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert out[0].split() == ["Date", "integer"]
    assert out[1].split() == ["2022-03-01", "1"]
