"""Bot signals: a filled honeypot, and timings no human reader produces.

Rule names: `bot:honeypot`, `bot:timing`. Source: docs/methods.md section 4
(honeypot field; server-side timing checks instead of reCAPTCHA or Turnstile, which would
send respondents' signals to third parties).

Impossible timing: a completed response whose elapsed time is negative, or under half a
second per answered item (nobody reads a question that fast; speeders answer at about
2 seconds per item, docs/methods.md 1.2).
"""

from __future__ import annotations

import numpy as np

from respondents.quality.config import CleaningConfig
from respondents.quality.frame import RuleFlags, RuleOutcome, WaveFrame
from respondents.quality.speeders import total_durations

HONEYPOT_DETAIL = "the hidden honeypot field was filled in"


def find_bots(frame: WaveFrame, config: CleaningConfig) -> RuleOutcome:
    honeypot_rows = np.flatnonzero(frame.honeypot_filled)
    honeypot = RuleFlags(
        "bot:honeypot",
        honeypot_rows,
        np.ones(honeypot_rows.size),
        (HONEYPOT_DETAIL,) * honeypot_rows.size,
    )
    totals = total_durations(frame)
    answered = frame.answered_counts
    with np.errstate(invalid="ignore", divide="ignore"):
        per_item = totals / answered
    impossible = frame.is_complete & (
        (totals < 0) | ((answered > 0) & (per_item < config.bot_min_seconds_per_item))
    )
    rows = np.flatnonzero(impossible)
    details = tuple(
        f"{total:.1f} s for {count} answered items "
        f"(under {config.bot_min_seconds_per_item:g} s per item)"
        if total >= 0
        else "completed before it started"
        for total, count in zip(totals[rows], answered[rows], strict=True)
    )
    return RuleOutcome((honeypot, RuleFlags("bot:timing", rows, per_item[rows], details)))
