"""Attention checks, bots and breakoffs on small frames."""

import dataclasses

import numpy as np

from respondents.quality.attention import find_failed_attention
from respondents.quality.bots import HONEYPOT_DETAIL, find_bots
from respondents.quality.completeness import find_breakoffs
from respondents.quality.config import CleaningConfig
from tests.respondents.quality.conftest import recall_precision
from tests.respondents.quality.synthetic import generate_wave


def test_failed_attention_checks_are_found(report, synthetic):
    recall, precision = recall_precision(report, synthetic, "attention")

    assert (recall, precision) == (1.0, 1.0)


def test_unanswered_attention_check_is_not_a_failure():
    wave = generate_wave(50, share_attention=0.0)
    codes = wave.frame.codes.copy()
    codes[0, -1] = -1
    frame = dataclasses.replace(wave.frame, codes=codes)

    outcome = find_failed_attention(frame, CleaningConfig())

    assert outcome.flags[0].rows.size == 0


def test_honeypot_and_impossible_timing_are_bots():
    wave = generate_wave(50)
    honeypot = np.zeros(wave.frame.size, dtype=np.bool_)
    honeypot[3] = True
    completed = wave.frame.completed_at.copy()
    completed[5] = wave.frame.started_at[5] + 10.0  # 61 items in 10 seconds
    frame = dataclasses.replace(wave.frame, honeypot_filled=honeypot, completed_at=completed)

    honeypot_flags, timing = find_bots(frame, CleaningConfig()).flags

    assert honeypot_flags.rows.tolist() == [3]
    assert honeypot_flags.details == (HONEYPOT_DETAIL,)
    assert timing.rows.tolist() == [5]
    assert timing.details[0] == "10.0 s for 61 answered items (under 0.5 s per item)"


def test_breakoffs_are_abandoned_or_stale_never_fresh():
    wave = generate_wave(50)
    complete = wave.frame.is_complete.copy()
    abandoned = wave.frame.is_abandoned.copy()
    updated = wave.frame.updated_at.copy()
    complete[[1, 2, 3]] = False
    abandoned[1] = True
    updated[2] = wave.frame.now - 25 * 3600  # stale in-progress
    updated[3] = wave.frame.now - 600  # still answering
    frame = dataclasses.replace(
        wave.frame, is_complete=complete, is_abandoned=abandoned, updated_at=updated
    )

    flags = find_breakoffs(frame, CleaningConfig()).flags[0]

    assert flags.rows.tolist() == [1, 2]
    assert flags.details[1].startswith("breakoff (no activity for 24 h) after 10 of 10 pages")
