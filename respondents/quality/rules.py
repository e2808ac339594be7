"""All quality rules over one wave frame, in a fixed order, with their timings.

The order only matters for the run record; rules are independent and each returns its own
flags (docs/methods.md 2.3.6: export the individual flags and let analysts combine them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from respondents.quality.attention import find_failed_attention
from respondents.quality.bots import find_bots
from respondents.quality.completeness import find_breakoffs
from respondents.quality.config import CleaningConfig
from respondents.quality.duplicates import find_duplicates
from respondents.quality.frame import RuleFlags, RuleOutcome, WaveFrame
from respondents.quality.speeders import find_speeders
from respondents.quality.straightlining import find_straightliners

RULE_FAMILIES: dict[str, Callable[[WaveFrame, CleaningConfig], RuleOutcome]] = {
    "speeder": find_speeders,
    "straightliner": find_straightliners,
    "duplicate": find_duplicates,
    "attention": find_failed_attention,
    "incomplete": find_breakoffs,
    "bot": find_bots,
}


# Rules that relabel one another for the same pair of responses: which one a pair gets
# depends on whether the two share a fingerprint and whether every item matches, and both
# can change between runs (a fingerprint recorded later, an answer corrected). An override
# on one covers the others, so a researcher's decision survives the relabel. Same-person
# duplicates (`duplicate:person`) rest on other evidence and are not covered.
ANSWER_DUPLICATE_RULES = frozenset({"duplicate:device", "duplicate:exact", "duplicate:near"})


def family_of(rule: str) -> str:
    return rule.split(":", 1)[0]


def override_covers(override_rule: str, flag_rule: str) -> bool:
    """Whether an override on `override_rule` suppresses a flag named `flag_rule`.

    A rule matches itself exactly; a bare family name (`speeder`, `duplicate`) covers every
    rule of the family; an answer-duplicate rule covers the other two (see above).
    """
    if override_rule == flag_rule:
        return True
    if ":" not in override_rule:
        return family_of(flag_rule) == override_rule
    return override_rule in ANSWER_DUPLICATE_RULES and flag_rule in ANSWER_DUPLICATE_RULES


@dataclass(frozen=True)
class QualityReport:
    flags: tuple[RuleFlags, ...]
    notes: tuple[str, ...]
    # Seconds per rule family.
    timings: dict[str, float]


def run_rules(frame: WaveFrame, config: CleaningConfig) -> QualityReport:
    flags: list[RuleFlags] = []
    notes: list[str] = []
    timings: dict[str, float] = {}
    for family, rule in RULE_FAMILIES.items():
        started = time.perf_counter()
        outcome = rule(frame, config)
        timings[family] = round(time.perf_counter() - started, 4)
        flags.extend(outcome.flags)
        notes.extend(outcome.notes)
    return QualityReport(tuple(flags), tuple(notes), timings)
