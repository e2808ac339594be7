"""Piped answers (`${item}`) where no answer is known: an export's labels read a
placeholder, `[item]`, and say which items they stand for."""

from __future__ import annotations

import pytest

from respondents.services.markup import piped_keys, placeholders


@pytest.mark.parametrize(
    ("_case", "label", "expected"),
    [
        ("one", "Age of ${m_name}", "Age of [m_name]"),
        ("spaces inside", "Hello ${ name }!", "Hello [name]!"),
        ("two, one repeated", "${a} and ${b.c} and ${a}", "[a] and [b.c] and [a]"),
        ("none", "Plain $ {x} and ${} stay", "Plain $ {x} and ${} stay"),
    ],
)
def test_a_piped_answer_reads_as_its_placeholder(_case, label, expected):
    assert placeholders(label) == expected


def test_the_piped_keys_are_listed_once_in_order():
    assert piped_keys("${b} ${a} ${b}") == ["b", "a"]
