from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from exports.dataset import Variable
from exports.layouts import PERSON, widen_frame, widen_variables


@dataclass(frozen=True)
class W:
    name: str
    number: int


WAVES = (W("spring", 1), W("autumn", 2))
BASE = [
    Variable("pid", "Person", "string"),
    Variable("wave", "Wave", "numeric"),
    Variable("trust", "Trust", "numeric", item="trust"),
    Variable("lifesat", "Life", "numeric", item="lifesat"),
    Variable("note", "Note", "string", item="note"),
]


def test_widen_variables_makes_one_column_per_item_and_wave_asked():
    wide = widen_variables(BASE, {"trust": {1, 2}, "lifesat": {2}, "note": {1, 2}}, WAVES)

    assert [v.name for v in wide] == [
        "pid",
        "wave_w1",
        "wave_w2",
        "trust_w1",
        "trust_w2",
        "lifesat_w2",
        "note_w1",
        "note_w2",
    ]
    assert wide[3].label == "Trust (wave spring)"


def test_widen_frame_gives_one_row_per_person_and_marks_absent_waves():
    long = pd.DataFrame(
        {
            PERSON: ["a", "b", "a"],
            "wave": [1.0, 1.0, 2.0],
            "trust": [1.0, 2.0, -2.0],
            "lifesat": [-4.0, -4.0, 7.0],
            "note": ["x", "", "y"],
        }
    )
    wide_vars = widen_variables(BASE, {"trust": {1, 2}, "lifesat": {2}, "note": {1, 2}}, WAVES)

    wide = widen_frame(long, wide_vars, WAVES)

    assert wide[PERSON].tolist() == ["a", "b"]
    assert wide["wave_w2"].tolist() == [1.0, 0.0]
    assert wide["trust_w1"].tolist() == [1.0, 2.0]
    assert wide["trust_w2"].tolist() == [-2.0, -4.0]
    assert wide["lifesat_w2"].tolist() == [7.0, -4.0]
    assert wide["note_w2"].tolist() == ["y", ""]
