"""Breakoffs: responses that stopped before the end.

Rule name: `incomplete`. Source: docs/methods.md 1.3.6 and 3.4.4 (flag, never
delete; exports decide).

Flagged: responses marked abandoned, and in-progress responses untouched for 24 hours (a
respondent still answering is not a breakoff yet). The score is the share of pages seen.
"""

from __future__ import annotations

import numpy as np

from respondents.quality.config import CleaningConfig
from respondents.quality.frame import RuleFlags, RuleOutcome, WaveFrame


def find_breakoffs(frame: WaveFrame, config: CleaningConfig) -> RuleOutcome:
    stale_after = config.incomplete_stale_hours * 3600.0
    stale = ~frame.is_complete & ((frame.now - frame.updated_at) > stale_after)
    breakoff = ~frame.is_complete & (frame.is_abandoned | stale)
    rows = np.flatnonzero(breakoff)
    pages = max(len(frame.page_names), 1)
    seen = (~np.isnan(frame.page_times[rows])).sum(axis=1)
    answered = frame.answered_counts[rows]
    idle = f"no activity for {config.incomplete_stale_hours:g} h"
    details = tuple(
        f"breakoff ({'abandoned' if abandoned else idle}) after "
        f"{count} of {pages} pages, {items} items answered"
        for abandoned, count, items in zip(frame.is_abandoned[rows], seen, answered, strict=True)
    )
    return RuleOutcome((RuleFlags("incomplete", rows, seen / pages, details),))
