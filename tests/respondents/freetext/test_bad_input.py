"""Bad input is scrubbed or refused clearly, in bounded time (the timeouts are generous
ceilings against a runaway pattern, not speed measurements: bench/ measures speed)."""

from __future__ import annotations

import os

import pytest

from respondents.freetext.scrub import MAX_CHARS, WITHHELD, scrub


@pytest.mark.timeout(10)
def test_an_answer_of_a_megabyte_is_withheld_whole():
    result = scrub("Меня зовут Иван Петров. " * 45_000)

    assert result.text == WITHHELD
    assert result.refused == "too_long"
    assert "Иван" not in result.text


@pytest.mark.timeout(10)
def test_binary_junk_is_withheld_as_unreadable():
    junk = os.urandom(5000).decode("latin-1")

    result = scrub(junk)

    assert result.text == WITHHELD
    assert result.refused == "unreadable"


def test_a_few_control_characters_are_dropped_and_the_rest_scrubbed():
    result = scrub("Меня зовут\x00 Иван Петров\x07")

    assert result.text == "Меня зовут <NAME>"
    assert "\x00" not in result.text


def test_mixed_scripts_in_one_answer_are_each_read_in_their_own_layer():
    result = scrub("Меня зовут Ivan, my friend Кирилл lives at 14 Rustaveli Avenue, тг @ivan_p")

    assert "Ivan" not in result.text
    assert "Кирилл" not in result.text
    assert "Rustaveli" not in result.text
    assert "ivan_p" not in result.text


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "text",
    [
        "a@" * (MAX_CHARS // 2 - 1),
        "ivan at " * (MAX_CHARS // 8 - 1),
        "1 " * (MAX_CHARS // 2 - 1),
        "ул. " * (MAX_CHARS // 4 - 1),
        "Aa Bb " * (MAX_CHARS // 6 - 1),
        "x." * (MAX_CHARS // 2 - 1),
        "telegram " * (MAX_CHARS // 9 - 1),
        "Иван " * (MAX_CHARS // 5 - 1),
    ],
)
def test_adversarial_answers_just_under_the_limit_finish(text):
    result = scrub(text)

    assert result.refused == ""
