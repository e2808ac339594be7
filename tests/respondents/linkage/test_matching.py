"""The linkage model on a synthetic panel: returners found, newcomers left alone, and better
than a textbook linker with fixed weights."""

from __future__ import annotations

import numpy as np
import pytest

from respondents.linkage.matching import (
    DIFFERENT,
    EQUAL,
    NEAR,
    SUGGESTED_ACCEPT,
    ItemComparison,
    Linker,
    fixed_weight_scores,
)
from tests.respondents.linkage_panel import (
    ITEMS,
    OPINIONS,
    LinkagePanel,
    make_linkage_panel,
    make_three_wave_panel,
)

COMPARED = ITEMS + OPINIONS


@pytest.fixture(scope="module")
def panel():
    return make_linkage_panel(earlier_people=1200, returners=360, newcomers=840, seed=3)


@pytest.fixture(scope="module")
def linked(panel):
    linker = Linker(COMPARED, panel.later, panel.earlier)
    model = linker.fit()
    return model, linker.best_candidates()


def _rates(panel: LinkagePanel, best: np.ndarray, accepted: np.ndarray) -> tuple[float, float]:
    truth = panel.truth
    singled = (truth >= 0) & panel.singled_out[np.maximum(truth, 0)]
    wrong = accepted & (best != truth)
    found = (accepted & (best == truth) & singled).sum()
    return float(wrong.sum() / max(accepted.sum(), 1)), float(found / singled.sum())


def test_links_at_the_suggested_threshold_are_right_and_find_the_returners(panel, linked):
    # given the candidates, ordered as the later rows
    model, candidates = linked
    best = np.array([c.earlier_index for c in candidates])
    probability = np.array([c.probability for c in candidates])
    # when the suggested threshold accepts
    wrong, recall = _rates(panel, best, probability >= SUGGESTED_ACCEPT)
    # then at most 1% of links are wrong and nine in ten singled-out returners are found
    assert wrong <= 0.01
    assert recall >= 0.90
    # and EM found about the share of returners the panel holds (360 of 1,200 people)
    assert 0.25 <= model.returner_share <= 0.35


def test_the_model_beats_a_linker_with_fixed_weights(panel, linked):
    _, candidates = linked
    best = np.array([c.earlier_index for c in candidates])
    probability = np.array([c.probability for c in candidates])
    _, recall = _rates(panel, best, probability >= SUGGESTED_ACCEPT)
    scores = fixed_weight_scores(
        COMPARED, panel.later, panel.earlier, {EQUAL: 2.0, NEAR: 0.5, DIFFERENT: -2.0}
    )
    fixed_best = np.array([index for index, _ in scores])
    fixed_score = np.array([score for _, score in scores])
    # the fixed linker at its best threshold with at most 1% wrong links
    fixed_recall = 0.0
    for threshold in sorted(set(fixed_score.tolist())):
        wrong, found = _rates(panel, fixed_best, fixed_score >= threshold)
        if wrong <= 0.01:
            fixed_recall = found
            break
    assert recall >= fixed_recall + 0.05


def test_a_newcomer_who_resembles_two_people_equally_is_not_a_clear_match():
    items = [ItemComparison("year", numeric=True), ItemComparison("sex", numeric=False)]
    earlier = np.array([[1990, 0], [1990, 0], [1970, 1], [1980, 1]], dtype=float)
    later = np.array([[1990, 0]], dtype=float)
    linker = Linker(items, later, earlier)
    linker.fit(iterations=3)
    [candidate] = linker.best_candidates()
    assert candidate.probability == pytest.approx(candidate.second_probability)
    assert candidate.probability < SUGGESTED_ACCEPT


def test_missing_answers_are_no_evidence():
    items = [ItemComparison("year", numeric=True), ItemComparison("sex", numeric=False)]
    earlier = np.array([[1990, 0], [1970, 1]], dtype=float)
    with_gap = np.array([[np.nan, 0]], dtype=float)
    linker = Linker(items, with_gap, earlier)
    assert linker.levels[0, 0, 0] == 0  # MISSING
    assert linker.levels[1, 0, 0] == EQUAL


def test_shapes_that_do_not_fit_are_refused():
    items = [ItemComparison("year", numeric=True)]
    with pytest.raises(ValueError, match="same 1 item columns"):
        Linker(items, np.zeros((2, 2)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="at least one stable item"):
        Linker([], np.zeros((2, 0)), np.zeros((2, 0)))


def test_the_third_wave_links_to_each_persons_earlier_answers():
    # given a 3-wave panel (1,200 a wave; wave 3 compared with 2,040 people seen before,
    # those seen in both waves by both their answers)
    _, third = make_three_wave_panel(people=1200, returners=360, seed=5)
    linker = Linker(COMPARED, third.later, third.history)
    linker.fit()
    candidates = linker.best_candidates()
    best = np.array([c.earlier_index for c in candidates])
    probability = np.array([c.probability for c in candidates])
    # when the suggested threshold accepts
    wrong, recall = _rates(third, best, probability >= SUGGESTED_ACCEPT)
    # then the third wave keeps the same promise as the second
    assert len(third.earlier) == 1200 + 840
    assert wrong <= 0.01
    assert recall >= 0.90


def test_each_item_counts_the_best_of_a_persons_earlier_answers():
    # given a person who moved away in wave 2 and skipped the year, and a stranger
    items = [ItemComparison("year", numeric=True), ItemComparison("country", numeric=False)]
    wave_1 = np.array([[1990, 0], [1970, 1]], dtype=float)
    wave_2 = np.array([[np.nan, 3], [np.nan, np.nan]], dtype=float)
    # when they answer as in wave 1 again
    linker = Linker(items, np.array([[1990, 0]], dtype=float), np.stack([wave_1, wave_2]))
    # then both items agree with the person: a skipped or drifted wave hides nothing
    assert linker.levels[:, 0, 0].tolist() == [EQUAL, EQUAL]
    assert linker.levels[:, 0, 1].tolist() == [DIFFERENT, DIFFERENT]
