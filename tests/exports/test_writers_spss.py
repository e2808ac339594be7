from __future__ import annotations

import pyreadstat
import pytest

from exports.dataset import Variable
from exports.writers import get_writer
from exports.writers.base import ELLIPSIS, WriterError
from exports.writers.spss import MAX_VALUE_LABEL_BYTES, MAX_VARIABLE_LABEL_BYTES, write_sav
from tests.exports.handmade import (
    LONG_LABEL,
    LONG_NAME,
    LONG_VALUE_LABEL,
    TRUST_LABEL,
    make_dataset,
)


def test_write_sav_reads_back_with_labels_value_labels_and_cyrillic(tmp_path):
    written = write_sav(make_dataset(), tmp_path, basename="data")

    frame, meta = pyreadstat.read_sav(str(written.paths[0]), user_missing=True)

    assert written.rows == 5
    assert meta.column_names_to_labels["trust"] == TRUST_LABEL
    assert meta.variable_value_labels["trust"][1] == "Можно доверять"
    assert meta.variable_value_labels["trust"][-4] == "Not asked in this wave or version"
    assert meta.file_label == "Панель эмигрантов 2025"
    assert frame["comment"].tolist()[2] == "Нормально, спасибо"
    assert frame["trust"].tolist() == [1, 2, -3, -2, 1]
    assert meta.variable_measure["age"] == "scale"


def test_write_sav_declares_negative_codes_as_user_missing(tmp_path):
    write_sav(make_dataset(), tmp_path, basename="data")

    with_codes, meta = pyreadstat.read_sav(str(tmp_path / "data.sav"), user_missing=True)
    as_spss_sees_it, _ = pyreadstat.read_sav(str(tmp_path / "data.sav"))

    assert meta.missing_ranges["trust"] == [{"lo": -5.0, "hi": -1.0}]
    assert meta.original_variable_types["trust"] == "F2.0"
    assert with_codes["age"].tolist() == [34.0, -2.0, 51.5, 35.0, -4.0]
    assert as_spss_sees_it["age"].isna().tolist() == [False, True, False, False, True]
    assert "pid" not in meta.missing_ranges


def test_write_sav_shortens_long_labels_visibly_and_records_them(tmp_path):
    written = write_sav(make_dataset(), tmp_path, basename="data")

    _, meta = pyreadstat.read_sav(str(tmp_path / "data.sav"))

    label = meta.column_names_to_labels[LONG_NAME]
    assert label is not None
    value_label = meta.variable_value_labels[LONG_NAME][1]
    assert label.endswith(ELLIPSIS)
    assert len(label.encode()) <= MAX_VARIABLE_LABEL_BYTES
    assert LONG_LABEL.startswith(label[:-1])
    assert value_label.endswith(ELLIPSIS)
    assert len(value_label.encode()) <= MAX_VALUE_LABEL_BYTES
    recorded = {(s.variable, s.kind, s.code): s for s in written.shortenings}
    assert set(recorded) == {(LONG_NAME, "variable_label", None), (LONG_NAME, "value_label", 1)}
    assert recorded[LONG_NAME, "variable_label", None].original == LONG_LABEL
    assert recorded[LONG_NAME, "value_label", 1].original == LONG_VALUE_LABEL
    assert recorded[LONG_NAME, "value_label", 1].shortened == value_label
    assert all(s.format == "sav" for s in written.shortenings)


def test_write_sav_fails_loudly_on_a_name_longer_than_64_bytes(tmp_path):
    dataset = make_dataset()
    dataset.variables[0] = Variable(name="p" * 65, label="pid", kind="string")

    with pytest.raises(WriterError, match="longer than 64 bytes"):
        write_sav(dataset, tmp_path, basename="data")

    assert list(tmp_path.iterdir()) == []


def test_write_sav_keeps_labelled_codes_in_one_byte_columns_until_a_value_needs_more(tmp_path):
    # given a labelled item whose codes fit int8 and one chunk holding a fractional value
    rows = [("p1", 1.0, 1.0, 30.0, 1.5, ""), ("p2", 2.0, 2.0, 31.0, 2.0, "")]

    get_writer("sav")(make_dataset(rows=rows, chunk_size=1), tmp_path, basename="data")
    frame, _ = pyreadstat.read_sav(str(tmp_path / "data.sav"))

    # then the column was promoted to float64, nothing rounded
    assert frame[LONG_NAME].tolist() == [1.5, 2.0]
