import dataclasses

import numpy as np
import pytest

from respondents.quality.config import CleaningConfig
from respondents.quality.frame import Battery
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


def test_flag_detail_gives_longstring_and_irv_per_battery(report, synthetic):
    flags = next(f for f in report.flags if f.rule == "straightliner")

    detail = flags.details[0]
    assert detail.startswith(
        "straight (IRV = 0, longstring = items answered) on 6 of 6 batteries: "
    )
    assert "battery1 longstring 6/6 (1.00) IRV 0.00" in detail
    assert flags.scores[0] == 1.0


def test_a_straight_battery_with_one_skipped_item_still_counts():
    # given: every planted straightliner skipped the first item of each battery
    wave = generate_wave(1000)
    rows = sorted(wave.planted["straightliner"])
    codes = wave.frame.codes.copy()
    values = wave.frame.values.copy()
    for first in range(0, 36, 6):
        codes[rows, first] = -1
        values[rows, first] = np.nan
    frame = dataclasses.replace(wave.frame, codes=codes, values=values)

    # when
    flags = find_straightliners(frame, CleaningConfig()).flags[0]

    # then: the same respondents as without the skips (planted ones, and the odd ordinary
    # respondent straight on two batteries by chance)
    unskipped = find_straightliners(wave.frame, CleaningConfig()).flags[0]
    assert wave.planted["straightliner"] <= {int(r) for r in flags.rows}
    assert flags.rows.tolist() == unskipped.rows.tolist()
    first = flags.rows.tolist().index(rows[0])
    assert "battery1 longstring 5/6 (0.83) IRV 0.00" in flags.details[first]


def test_a_battery_with_two_skipped_items_does_not_count():
    wave = generate_wave(300)
    rows = sorted(wave.planted["straightliner"])
    codes = wave.frame.codes.copy()
    for first in range(0, 36, 6):
        codes[np.ix_(rows, [first, first + 1])] = -1
    frame = dataclasses.replace(wave.frame, codes=codes)

    flags = find_straightliners(frame, CleaningConfig()).flags[0]

    assert not {int(r) for r in flags.rows} & wave.planted["straightliner"]


def test_longstring_over_answered_items_steps_over_a_skip():
    codes = np.array([[1, -1, 1, 1, 0], [2, 2, -1, -1, 2]], dtype=np.int32)

    assert longstring(codes, skip_unanswered=True).tolist() == [3, 3]


def test_one_battery_is_not_enough_and_the_notes_say_so():
    wave = generate_wave(200)
    config = CleaningConfig(straightliner_min_items=7)

    outcome = find_straightliners(wave.frame, config)

    assert outcome.notes == (TOO_FEW_BATTERIES.format(count=0, items=7, needed=2),)
    assert outcome.flags[0].rows.size == 0


def one_battery(items: int, n: int = 1000):
    """A form whose only battery is its first `items` items, with the planted
    straightliners giving one answer down all of it."""
    wave = generate_wave(n)
    codes = wave.frame.codes.copy()
    rows = sorted(wave.planted["straightliner"])
    codes[rows, :items] = codes[rows, :1]
    frame = dataclasses.replace(
        wave.frame,
        codes=codes,
        values=np.where(codes >= 0, codes + 1, np.nan).astype(np.float64),
        batteries=(Battery("grid", tuple(range(items))),),
    )
    return wave, frame


def test_one_straight_battery_of_eight_items_is_flagged():
    wave, frame = one_battery(8)

    outcome = find_straightliners(frame, CleaningConfig())

    flagged = {int(r) for r in outcome.flags[0].rows}
    planted = wave.planted["straightliner"]
    assert planted <= flagged
    assert len(flagged & planted) >= 0.9 * len(flagged)
    assert outcome.notes == ()
    first = outcome.flags[0].rows.tolist().index(min(planted))
    assert "grid longstring 8/8 (1.00) IRV 0.00" in outcome.flags[0].details[first]


@pytest.mark.parametrize("items", [5, 6, 7])
def test_one_short_straight_battery_stays_below_the_flag_unless_configured(items):
    wave, frame = one_battery(items, n=500)

    default = find_straightliners(frame, CleaningConfig())
    lowered = find_straightliners(frame, CleaningConfig(straightliner_single_battery_items=items))

    assert default.flags[0].rows.size == 0
    assert default.notes == (TOO_FEW_BATTERIES.format(count=1, items=5, needed=2),)
    assert wave.planted["straightliner"] <= {int(r) for r in lowered.flags[0].rows}
