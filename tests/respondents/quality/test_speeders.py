import dataclasses
import math

import numpy as np
import pytest

from respondents.quality.config import CleaningConfig
from respondents.quality.speeders import (
    NO_RSI,
    RSI_RULE,
    find_speeders,
    reference_medians,
    relative_speed_index,
)
from tests.respondents.quality.conftest import recall_precision
from tests.respondents.quality.synthetic import generate_wave

NAN = float("nan")


def test_rsi_matches_leiners_r_function_on_a_hand_computed_example():
    # medians: page 1 = 10, page 2 = 20 (R: apply(times, median, na.rm=T, MARGIN=2))
    times = np.array([[10.0, 20.0], [5.0, 40.0], [0.0, NAN], [20.0, 10.0]])
    medians = np.array([10.0, 20.0])

    rsi = relative_speed_index(times, medians)

    # row 2: 10/5 = 2, 20/40 = 0.5; row 3: 10/0 = inf, clipped to 3, page 2 unseen;
    # row 4: 10/20 = 0.5, 20/10 = 2
    assert rsi.tolist() == [1.0, 1.25, 3.0, 1.25]


def test_rsi_is_nan_for_a_respondent_who_saw_no_page():
    rsi = relative_speed_index(np.array([[NAN, NAN]]), np.array([10.0, 20.0]))

    assert math.isnan(rsi[0])


def test_reference_medians_leave_out_pages_with_fewer_than_ten_completes():
    times = np.vstack([np.column_stack([np.arange(1.0, 13.0), np.r_[np.full(9, 5.0), [NAN] * 3]])])
    groups = np.zeros(12, dtype=np.int64)

    medians, counts, n_reference = reference_medians(times, np.arange(12), groups, min_reference=10)

    assert counts.tolist() == [12, 9]
    assert n_reference[0].tolist() == [12, 0]
    assert medians[0, 0] == 6.5
    assert math.isnan(medians[0, 1])


def test_find_speeders_says_so_when_no_page_has_enough_completes():
    wave = generate_wave(8, share_speeders=0, share_straightliners=0, share_duplicates=0)

    outcome = find_speeders(wave.frame, CleaningConfig())

    assert NO_RSI.format(needed=10) in outcome.notes
    assert outcome.flags[0].rows.size == 0


def test_rsi_finds_planted_speeders(report, synthetic):
    recall, precision = recall_precision(report, synthetic, RSI_RULE, planted_as="speeder")

    assert recall >= 0.95
    assert precision >= 0.90


@pytest.mark.parametrize("rule", ["speeder:total", "speeder:page"])
def test_second_opinions_agree_with_the_rsi_on_planted_speeders(report, synthetic, rule):
    found = {int(r) for f in report.flags if f.rule == rule for r in f.rows}

    assert len(found & synthetic.planted["speeder"]) >= 0.95 * len(synthetic.planted["speeder"])


def test_rsi_detail_gives_n_reference_per_page_median(report, synthetic):
    rsi = next(f for f in report.flags if f.rule == RSI_RULE)

    # 3,000 originals and 180 copies, all complete, every page timed
    assert rsi.details[0].endswith("over 10 pages (n_reference 3180 completes per page median)")


def test_rsi_detail_gives_the_range_when_languages_have_their_own_medians():
    # given: two languages with their own medians where they have enough completes
    wave = generate_wave(60, share_duplicates=0, share_straightliners=0, share_speeders=0.1)
    language = (np.arange(wave.frame.size) % 4 == 0).astype(np.int64)
    times = wave.frame.page_times.copy()
    times[language == 1, 0] = np.nan  # page 1 unseen in language 1: pooled median there
    frame = dataclasses.replace(wave.frame, language=language, page_times=times)

    # when
    rsi = next(f for f in find_speeders(frame, CleaningConfig()).flags if f.rule == RSI_RULE)

    # then: 15 completes in language 1 (9 pages), 45 in language 0 (10 pages)
    by_language = {int(language[r]): d for r, d in zip(rsi.rows, rsi.details, strict=True)}
    assert by_language[0].endswith("over 10 pages (n_reference 45 completes per page median)")
    assert by_language[1].endswith("over 9 pages (n_reference 15 completes per page median)")
