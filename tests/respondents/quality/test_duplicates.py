import dataclasses

import numpy as np
import pytest

from respondents.quality import duplicates
from respondents.quality.config import CleaningConfig
from respondents.quality.duplicates import clusters, find_duplicates, percent_match
from respondents.quality.rules import run_rules
from tests.respondents.quality.conftest import recall_precision
from tests.respondents.quality.synthetic import generate_wave, with_copies, with_near_copies


@pytest.mark.parametrize("rule", ["duplicate:person", "duplicate:device", "duplicate:near"])
def test_each_kind_of_planted_duplicate_is_found(report, synthetic, rule):
    recall, precision = recall_precision(report, synthetic, rule)

    assert recall >= 0.95
    assert precision >= 0.90


def test_exactly_one_of_each_duplicate_pair_stays_unflagged(report, synthetic):
    flagged = {int(r) for f in report.flags if f.rule.startswith("duplicate") for r in f.rows}
    copies = set().union(
        *(synthetic.planted[k] for k in ("duplicate:person", "duplicate:device", "duplicate:near"))
    )

    # the originals (started hours earlier) are kept, the copies flagged, nothing else
    assert flagged == copies


def test_exact_copies_are_named_exact():
    wave = generate_wave(1000, duplicate_changes=0, share_speeders=0, share_straightliners=0)

    outcome = find_duplicates(wave.frame, CleaningConfig())

    exact = next(f for f in outcome.flags if f.rule == "duplicate:exact")
    assert {int(r) for r in exact.rows} == wave.planted["duplicate:near"]
    assert set(exact.scores.tolist()) == {1.0}


def test_a_homogeneous_population_without_duplicates_is_not_flagged():
    # given: everybody gives the commonest answer 85% of the time (Pew's false-positive case)
    wave = generate_wave(4000, modal_share=0.85, share_duplicates=0.0)

    # when
    outcome = find_duplicates(wave.frame, CleaningConfig())

    # then: the thresholds rose above Kuriakose & Robbins' 0.85 and nobody is flagged
    assert sum(f.rows.size for f in outcome.flags) == 0
    assert "uncorroborated" in outcome.notes[0]
    threshold = float(outcome.notes[0].split("threshold ")[1].split(" ")[0])
    assert threshold > 0.9


def test_same_fingerprint_alone_does_not_make_a_duplicate(synthetic, report):
    # 5% of the synthetic respondents share one of 30 network fingerprints with strangers
    device = next(f for f in report.flags if f.rule == "duplicate:device")
    assert {int(r) for r in device.rows} <= synthetic.planted["duplicate:device"]


def test_duplicate_flags_are_the_same_on_a_rerun(synthetic):
    first = run_rules(synthetic.frame, CleaningConfig())
    second = run_rules(synthetic.frame, CleaningConfig())

    for a, b in zip(first.flags, second.flags, strict=True):
        assert a.rule == b.rule
        assert a.rows.tolist() == b.rows.tolist()
        assert a.details == b.details


def test_percent_match_excludes_items_either_left_unanswered():
    codes = np.array([[1, 2, 3, -1], [1, 2, 4, 5]], dtype=np.int16)

    share, common = percent_match(codes, np.array([0]), np.array([1]))

    assert common.tolist() == [3]
    assert share[0] == pytest.approx(2 / 3)


def test_clusters_join_chains():
    labels = clusters(6, np.array([0, 1, 4]), np.array([1, 2, 5]))

    assert labels.tolist() == [0, 0, 0, 3, 4, 4]


def duplicate_rows(outcome) -> set[int]:
    return {int(r) for f in outcome.flags if f.rule.startswith("duplicate") for r in f.rows}


@pytest.mark.parametrize("copies", [600, 1000])
def test_a_mass_of_identical_submissions_is_flagged_and_keeps_detection_on(copies):
    # given: one respondent submitted `copies` more times, each from a new device, an hour
    # apart, in a 3,000-row wave that also holds ordinary planted near copies
    wave = generate_wave(3000 - copies, share_speeders=0, share_straightliners=0)
    frame = with_copies(wave, 17, copies, gap_seconds=3600.0)
    mass = set(range(frame.size - copies, frame.size))

    # when
    outcome = find_duplicates(frame, CleaningConfig())

    # then: every copy is flagged (the first submission is kept), the ordinary near copies
    # are still found, and the thresholds stayed on
    exact = next(f for f in outcome.flags if f.rule == "duplicate:exact")
    assert mass <= {int(r) for r in exact.rows}
    assert 17 not in duplicate_rows(outcome)
    assert wave.planted["duplicate:near"] <= duplicate_rows(outcome)
    assert "off" not in outcome.notes[0]


def test_shared_fingerprint_evidence_keeps_its_own_budget_in_a_crowded_homogeneous_wave():
    # given: a like-minded population (Pew's case) whose starts are packed into one day, so
    # start-window pairs far outnumber shared-fingerprint pairs, as in a large wave; the
    # device copies change 8 of 60 answers and share the original's fingerprint
    wave = generate_wave(
        5000,
        modal_share=0.85,
        fieldwork_days=2.0,
        duplicate_changes=8,
        share_speeders=0,
        share_straightliners=0,
    )

    # when
    outcome = find_duplicates(wave.frame, CleaningConfig())

    # then
    found = {int(r) for f in outcome.flags if f.rule == "duplicate:device" for r in f.rows}
    planted = wave.planted["duplicate:device"]
    assert len(found & planted) >= 0.95 * len(planted)
    assert len(found & planted) >= 0.90 * len(found)


def test_near_copies_in_a_homogeneous_population_are_found():
    # given: a like-minded population with near copies changing 2 of 60 answers
    wave = generate_wave(5000, modal_share=0.85, share_speeders=0, share_straightliners=0)

    # when
    outcome = find_duplicates(wave.frame, CleaningConfig())

    # then
    copies = wave.planted["duplicate:device"] | wave.planted["duplicate:near"]
    flagged = duplicate_rows(outcome) - wave.planted["duplicate:person"]
    assert len(flagged & copies) >= 0.95 * len(copies)
    assert len(flagged & copies) >= 0.90 * len(flagged)


def test_near_copies_minutes_apart_are_found_by_the_start_bucket_search_alone(monkeypatch):
    # given: 6,000 starts packed into 12 hours, about 80 later starts within 10 minutes of
    # each (more than WINDOW_CANDIDATES_PER_ROW, so the window is searched by hashing in start
    # buckets), plus copies of 300 respondents changing 8 of 60 answers (87% match), each
    # from another device 1 to 9 minutes after its original; the wave-wide bands are off, so
    # only the start-bucket search can pair a copy with its original
    wave = generate_wave(
        6000, fieldwork_days=0.5, share_duplicates=0, share_speeders=0, share_straightliners=0
    )
    sources = np.random.default_rng(3).choice(6000, size=300, replace=False)
    delays = np.random.default_rng(4).uniform(60, 540, sources.size)
    frame = with_near_copies(wave, sources, changes=8, delays=delays)
    copies = set(range(6000, frame.size))
    monkeypatch.setattr(duplicates, "LSH_BANDS", 0)

    # when
    outcome = find_duplicates(frame, CleaningConfig())

    # then
    assert any(
        "searched by answer hashing inside 20-minute start buckets" in n for n in outcome.notes
    )
    found = duplicate_rows(outcome)
    assert len(found & copies) >= 0.95 * len(copies)
    assert len(found & copies) >= 0.90 * len(found)


def near_copies(wave, copies: int, *, seed: int = 9):
    """`copies` near copies of random respondents: 1 or 2 answers changed, another device,
    another panel key, started 5 minutes to 6 hours after the original."""
    rng = np.random.default_rng(seed)
    sources = np.sort(rng.choice(wave.frame.size, size=copies, replace=False))
    frame = with_near_copies(
        wave,
        sources,
        changes=rng.integers(1, 3, copies),
        delays=rng.uniform(5 * 60, 6 * 3600, copies),
    )
    return frame, sources


def resolved_share(outcome, sources, first_copy: int) -> float:
    flagged = duplicate_rows(outcome)
    pairs = zip(sources.tolist(), range(first_copy, first_copy + sources.size), strict=True)
    return float(sum((a in flagged) != (b in flagged) for a, b in pairs) / sources.size)


def test_near_copies_in_a_varied_wave_are_flagged_without_corroboration():
    # given: 20,000 varied respondents (4% straightliners, speeders, failed checks) and 500
    # near copies, each from another device and panel key, most far outside the start window
    wave = generate_wave(20_000, share_duplicates=0.0)
    frame, sources = near_copies(wave, 500)

    # when
    outcome = find_duplicates(frame, CleaningConfig())

    # then: the pairs are resolved, and no other respondent (straightliners included) is
    # taken for a duplicate
    assert resolved_share(outcome, sources, 20_000) >= 0.95
    genuine = set(range(20_000)) - set(sources.tolist())
    assert not duplicate_rows(outcome) & genuine
    uncorroborated = next(n for n in outcome.notes if n.startswith("duplicate without"))
    assert "a pair needs 51 of 60 equal answers" in uncorroborated
    assert "chance pairs are expected that close" in uncorroborated


def like_minded(wave, *, modal_share: float, seed: int = 4):
    """The wave's answers replaced: every item's commonest answer given by `modal_share`,
    the other four options sharing the rest, independently per item."""
    frame = wave.frame
    rng = np.random.default_rng(seed)
    items = len(frame.match_columns)  # the attention check after them stays
    answers = np.where(
        rng.random((frame.size, items)) < modal_share, 0, rng.integers(1, 5, (frame.size, items))
    )
    codes = frame.codes.copy()
    codes[:, :items] = answers
    values = np.where(codes >= 0, codes + 1, np.nan).astype(np.float64)
    return dataclasses.replace(wave, frame=dataclasses.replace(frame, codes=codes, values=values))


def test_a_like_minded_wave_keeps_its_genuine_respondents_unflagged():
    # given: Pew's case, a like-minded population of 20,000 (the commonest answer 85% of the
    # time on every item), with 500 near copies planted as above
    wave = like_minded(generate_wave(20_000, share_duplicates=0.0), modal_share=0.85)
    frame, sources = near_copies(wave, 500)

    # when
    outcome = find_duplicates(frame, CleaningConfig())

    # then: at most 0.5% of the genuine respondents carry a duplicate flag, because the
    # uncorroborated thresholds rose by themselves: near exact equality for most pairs, and
    # never for two of the many who answer straight down the batteries
    genuine = set(range(20_000)) - set(sources.tolist())
    assert len(duplicate_rows(outcome) & genuine) <= 0.005 * len(genuine)
    threshold = float(outcome.notes[0].split("threshold ")[1].split(" ")[0])
    assert threshold > 0.95
    straight = next(n for n in outcome.notes if n.startswith("duplicate between two"))
    assert "never on this evidence alone: even identical answers are expected" in straight


def test_the_threshold_is_explained_in_words_with_what_the_sample_saw():
    wave = generate_wave(3000, share_duplicates=0.0)
    frame, _ = near_copies(wave, 100)

    outcome = find_duplicates(frame, CleaningConfig())

    lookalikes = next(n for n in outcome.notes if n.startswith("duplicate look-alikes"))
    assert "1,000 sampled responses compared with" in lookalikes
    assert "1 in 10,000 in at most" in lookalikes
    # the planted copies in the sample were recognised and did not count as chance
    assert "pairs were left out as likely copies" in lookalikes
    for evidence in ("without corroboration", "with a shared fingerprint", "with starts within"):
        note = next(n for n in outcome.notes if n.startswith(f"duplicate {evidence}"))
        assert "a pair needs" in note
        assert "(budget 0.01)" in note


def in_networks(frame, originals: int, networks: int, sources=None):
    """`frame` with its first `originals` responses spread over `networks` shared fingerprints
    (a carrier's NAT, a campus); each copy after them on its source's network when `sources`
    is given."""
    fingerprint = np.arange(frame.size, dtype=np.int64) + networks
    fingerprint[:originals] = np.arange(originals) % networks
    if sources is not None:
        fingerprint[originals:] = fingerprint[sources]
    return dataclasses.replace(frame, fingerprint=fingerprint)


def test_near_copies_in_a_network_thousands_share_are_found_by_hashing_inside_it(monkeypatch):
    # given: 6,000 respondents on three networks of 2,000 (each a fingerprint block far
    # above the all-pairs limit), copies of 300 of them changing 8 of 60 answers (87% match)
    # from the same network hours later; the wave-wide bands are off and the starts far
    # apart, so only the search inside fingerprint blocks can pair a copy with its original
    wave = generate_wave(6000, share_duplicates=0, share_speeders=0, share_straightliners=0)
    sources = np.random.default_rng(3).choice(6000, size=300, replace=False)
    delays = np.random.default_rng(4).uniform(3 * 3600, 48 * 3600, sources.size)
    frame = in_networks(with_near_copies(wave, sources, changes=8, delays=delays), 6000, 3, sources)
    copies = set(range(6000, frame.size))
    monkeypatch.setattr(duplicates, "LSH_BANDS", 0)

    # when
    outcome = find_duplicates(frame, CleaningConfig())

    # then
    assert any("3 fingerprint blocks of more than 51" in n for n in outcome.notes)
    device = {int(r) for f in outcome.flags if f.rule == "duplicate:device" for r in f.rows}
    found = duplicate_rows(outcome)
    assert len(device & copies) >= 0.95 * len(copies)
    assert len(found & copies) >= 0.90 * len(found)


def test_pairs_compared_in_shared_networks_grow_linearly_not_with_the_square(monkeypatch):
    # given: 20,000 respondents in 100 networks of 200: every pair in them would be
    # 1.99 million comparisons, about 100 per response
    wave = generate_wave(20_000, share_duplicates=0, share_speeders=0, share_straightliners=0)
    frame = in_networks(wave.frame, 20_000, 100)
    compared = []

    def counting(codes, left, right):
        compared.append(left.size)
        return percent_match(codes, left, right)

    monkeypatch.setattr(duplicates, "percent_match", counting)

    # when
    find_duplicates(frame, CleaningConfig())

    # then: the networks are searched by hashing; all candidates together stay a few dozen
    # per response
    assert sum(compared) < 40 * frame.size
