"""Attention checks: items with an expected answer ("choose 'disagree' here").

Rule name: `attention`. Source: docs/methods.md section 4 (server-side checks in
place of third-party CAPTCHAs) and 2.3.6 (export the individual flag, let analysts combine).

A check counts as failed when it was answered with anything but the expected answer; an
unanswered check (hidden by relevance, or a breakoff before it) is not a failure. Flagged at
one failed check by default.
"""

from __future__ import annotations

import numpy as np

from respondents.quality.config import CleaningConfig
from respondents.quality.frame import MISSING_CODE, RuleFlags, RuleOutcome, WaveFrame


def find_failed_attention(frame: WaveFrame, config: CleaningConfig) -> RuleOutcome:
    checks = frame.attention_checks
    if not checks:
        return RuleOutcome((RuleFlags.empty("attention"),))
    answers = frame.codes[:, [c.column for c in checks]]
    expected = np.array([c.expected_code for c in checks], dtype=answers.dtype)
    answered = answers != MISSING_CODE
    failed = answered & (answers != expected)
    failed_counts = failed.sum(axis=1)
    answered_counts = answered.sum(axis=1)
    rows = np.flatnonzero(failed_counts >= config.attention_min_failed)
    scores = failed_counts[rows] / np.maximum(answered_counts[rows], 1)
    names = np.array([c.name for c in checks], dtype=object)
    details = tuple(
        f"failed {count} of {seen} attention checks: {', '.join(names[mask])}"
        for count, seen, mask in zip(
            failed_counts[rows], answered_counts[rows], failed[rows], strict=True
        )
    )
    return RuleOutcome((RuleFlags("attention", rows, scores.astype(np.float64), details),))
