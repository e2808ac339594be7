"""Calculations are computed after the calculations they read; circles are refused."""

from pathlib import Path

import pytest

from surveys.calculations import calculation_order
from surveys.formspec import FormError
from surveys.xlsform import read_xlsform
from tests.surveys.forms import write_form

HEAD = ["type", "name", "label", "calculation", "relevant"]


def _form(tmp_path: Path, *rows: list[str]) -> Path:
    survey = [HEAD, ["integer", "age", "Age", "", ""], *rows]
    return write_form(tmp_path / "calc.xlsx", survey, [["list_name", "name"]])


def test_each_calculation_comes_after_what_it_reads_in_form_order_otherwise():
    reads = {
        "label": {"band", "age"},
        "other": set(),
        "band": {"decade"},
        "decade": {"age"},
    }
    assert calculation_order(reads) == ["other", "decade", "band", "label"]


def test_a_calculation_may_read_one_written_after_it(tmp_path):
    form = read_xlsform(
        _form(
            tmp_path,
            ["calculate", "band", "", "if(${decade} >= 4, 'older', 'younger')", ""],
            ["calculate", "decade", "", "int(${age} div 10)", ""],
        )
    )
    assert [q.name for q in form.questions()] == ["age", "band", "decade"]


def test_calculations_in_a_circle_are_refused_naming_them(tmp_path):
    path = _form(
        tmp_path,
        ["calculate", "total", "", "${part} + 1", ""],
        ["calculate", "part", "", "${share} * 2", ""],
        ["calculate", "share", "", "${total} div 3", ""],
    )
    with pytest.raises(FormError) as caught:
        read_xlsform(path)
    assert str(caught.value) == (
        "calc.xlsx: row 3, column calculation: calculations read each other in a circle "
        "(${total} -> ${part} -> ${share} -> ${total}), so none of them can be computed first"
    )


def test_a_circle_through_relevant_is_refused_too(tmp_path):
    path = _form(
        tmp_path,
        ["calculate", "a", "", "${age} + 1", "${b} > 0"],
        ["calculate", "b", "", "${a} * 2", ""],
    )
    with pytest.raises(FormError, match=r"row 3, .* circle \(\$\{a\} -> \$\{b\} -> \$\{a\}\)"):
        read_xlsform(path)
