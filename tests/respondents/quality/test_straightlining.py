import numpy as np
import pytest

from respondents.quality.config import CleaningConfig
from respondents.quality.straightlining import (
    TOO_FEW_BATTERIES,
    find_straightliners,
    irv,
    longstring,
)
from tests.respondents.quality.conftest import recall_precision
from tests.respondents.quality.synthetic import generate_wave


def test_longstring_is_the_longest_run_of_equal_answers():
    codes = np.array([[1, 1, 2, 2, 2], [3, 3, 3, 3, 3], [1, -1, 1, 1, 0]], dtype=np.int32)

    assert longstring(codes).tolist() == [3, 5, 2]


def test_irv_uses_the_sample_sd_as_r_does():
    values = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 1.0], [3.0, 3.0, 3.0, 3.0, 3.0, 3.0]])

    result = irv(values)

    # R: sd(c(1,2,3,4,5,1)) = 1.632993; ier's ddof=0 would give 1.4907
    assert result[0] == pytest.approx(1.632993, abs=1e-6)
    assert result[1] == 0.0


def test_straightliners_found_with_recall_and_precision(report, synthetic):
    recall, precision = recall_precision(report, synthetic, "straightliner")

    assert recall >= 0.95
    assert precision >= 0.90


def test_flag_detail_names_the_straight_batteries(report, synthetic):
    flags = next(f for f in report.flags if f.rule == "straightliner")

    assert flags.details[0].startswith("straight answers (longstring = length, IRV = 0) on 6 of 6")


def test_one_battery_is_not_enough_and_the_notes_say_so():
    wave = generate_wave(200)
    config = CleaningConfig(straightliner_min_items=7)

    outcome = find_straightliners(wave.frame, config)

    assert outcome.notes == (TOO_FEW_BATTERIES.format(count=0, items=7, needed=2),)
    assert outcome.flags[0].rows.size == 0
