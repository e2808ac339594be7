import numpy as np

from respondents.quality.lookalikes import measure


def test_pairs_are_counted_by_differing_answers_over_items_both_answered():
    # given: rows 0 and 1 differ in 2 of 12 answers; row 2 differs from both everywhere but
    # skipped one item, so its distances are rescaled from 11 common items to 12
    codes = np.array(
        [
            [0] * 12,
            [0] * 10 + [1, 1],
            [2] * 11 + [-1],
        ],
        dtype=np.int16,
    )

    # when
    found = measure(codes, np.random.default_rng(0), min_common=10)

    # then: every ordered pair of the three is compared once
    assert found.items == 12
    assert found.compared == 6
    assert found.observed[2] == 2
    assert found.observed[12] == 4
    assert sorted(found.nearest.tolist()) == [2, 2, 12]


def test_pairs_with_too_few_items_in_common_are_not_compared():
    codes = np.array([[0] * 12, [0] * 6 + [-1] * 6], dtype=np.int16)

    found = measure(codes, np.random.default_rng(0), min_common=10)

    assert found.compared == 0
    assert found.nearest.size == 0
