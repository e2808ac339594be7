from __future__ import annotations

from typing import Any

import pyreadstat

from exports.dataset import Variable
from exports.writers.base import ELLIPSIS, Shortener
from exports.writers.stata import MAX_NAME, MAX_VARIABLE_LABEL, stata_names, write_dta
from tests.exports.handmade import (
    LONG_LABEL,
    LONG_NAME,
    LONG_VALUE_LABEL,
    TRUST_LABEL,
    make_dataset,
)


def test_write_dta_is_format_118_and_keeps_cyrillic_labels_and_values(tmp_path):
    written = write_dta(make_dataset(), tmp_path, basename="data")

    frame, meta = pyreadstat.read_dta(str(written.paths[0]), user_missing=True)

    assert meta.column_names_to_labels["trust"] == TRUST_LABEL
    assert meta.variable_value_labels["trust"][2] == "Нужно быть осторожным"
    assert frame["comment"].tolist()[2] == "Нормально, спасибо"
    # Format 118: UTF-8, read alike by Stata 14 and later, ReadStat and pandas.
    assert (tmp_path / "data.dta").read_bytes()[:31] == b"<stata_dta><header><release>118"


def test_write_dta_maps_negative_codes_to_extended_missing_with_labels(tmp_path):
    write_dta(make_dataset(), tmp_path, basename="data")

    frame, meta = pyreadstat.read_dta(str(tmp_path / "data.dta"), user_missing=True)

    assert frame["trust"].tolist() == [1, 2, "c", "b", 1]
    assert frame["age"].tolist() == [34.0, "b", 51.5, 35.0, "d"]
    # The reader lists the letters present in the data; the labels cover every declared one.
    assert meta.missing_user_values["trust"] == ["b", "c"]
    labels: Any = meta.variable_value_labels
    assert labels["trust"]["d"] == "Not asked in this wave or version"
    assert labels["age"]["e"] == "Break-off or technical missing"


def test_write_dta_shortens_long_names_and_labels_visibly_and_records_them(tmp_path):
    written = write_dta(make_dataset(), tmp_path, basename="data")

    _, meta = pyreadstat.read_dta(str(tmp_path / "data.dta"))

    recorded = {(s.variable, s.kind): s for s in written.shortenings}
    new_name = recorded[LONG_NAME, "name"].shortened
    assert len(new_name) <= MAX_NAME
    assert new_name in meta.column_names
    label = meta.column_names_to_labels[new_name]
    assert label is not None
    assert len(label) == MAX_VARIABLE_LABEL
    assert label.endswith(ELLIPSIS)
    assert recorded[LONG_NAME, "variable_label"].original == LONG_LABEL
    assert recorded[LONG_NAME, "variable_label"].shortened == label
    # 162 Cyrillic characters fit Stata's value labels: not shortened.
    assert meta.variable_value_labels[new_name][1] == LONG_VALUE_LABEL
    assert set(recorded) == {(LONG_NAME, "name"), (LONG_NAME, "variable_label")}


def test_stata_names_leave_room_for_the_label_set_counter_and_avoid_reserved_words():
    # given twelve labelled 32-character names (pyreadstat names label sets name0..name11)
    variables = [
        Variable(name=f"v{i:02d}".ljust(32, "x"), label="", kind="numeric", value_labels={1: "a"})
        for i in range(12)
    ] + [
        Variable(name="in", label="", kind="numeric"),
        Variable(name="str12", label="", kind="string"),
    ]
    shortener = Shortener("dta")

    names = stata_names(variables, shortener)

    counters = [len(names[v.name]) + len(str(i)) for i, v in enumerate(variables[:12])]
    assert max(counters) <= MAX_NAME
    assert len(set(names.values())) == len(variables)
    assert names["in"] == "in_"
    assert names["str12"] == "str12_"
    assert len(shortener.made) == len(variables)


def test_write_dta_writes_a_file_with_many_long_labelled_names(tmp_path):
    dataset = make_dataset()
    base = dataset.variables[2]
    extra = [
        Variable(
            name=f"item_{i:02d}_" + "z" * 30,
            label=base.label,
            kind="numeric",
            value_labels=base.value_labels,
            missing_codes=base.missing_codes,
        )
        for i in range(11)
    ]
    dataset.variables = dataset.variables + extra
    original = dataset.chunks

    def chunks():
        for chunk in original():
            for v in extra:
                chunk[v.name] = chunk["trust"]
            yield chunk

    dataset.chunks = chunks

    written = write_dta(dataset, tmp_path, basename="data")
    frame, meta = pyreadstat.read_dta(str(written.paths[0]))

    assert len(meta.column_names) == 6 + 11
    assert all(len(n) <= MAX_NAME for n in meta.column_names)
    assert frame.iloc[:, -1].tolist()[:2] == [1, 2]
