"""Rule settings for response-quality cleaning: the documented defaults and their overrides.

Every threshold the rules use is a named constant here, with its source in
docs/methods.md (sections 1-4). A wave's `cleaning_config` JSON may override any
of them by its lower-case name; an unknown key or a value of the wrong kind is refused with
a message naming the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Speeders (docs/methods.md 1.1, 1.3). Leiner's RSI: page speed factors clipped at 3, flag > 2.0.
SPEEDER_RSI_THRESHOLD = 2.0
SPEEDER_RSI_CAP = 3.0
# SoSci fills TIME_RSI only with at least 10 cases; we require 10 completes per page.
SPEEDER_MIN_REFERENCE = 10
# Greszki, Meyer & Schoen (2015): total time at most half the median of completes.
SPEEDER_TOTAL_SHARE = 0.5
# Bowling et al. (2023): a page is rapid below 2 seconds per item; docs/methods.md 1.3.3 flags
# when at least max(1, ceil(10% of pages seen)) pages are rapid.
SPEEDER_PAGE_SECONDS_PER_ITEM = 2.0
SPEEDER_PAGE_SHARE = 0.1

# Straightlining (docs/methods.md 2.3): batteries of >= 5 items sharing a choice list; a
# respondent is flagged when straight (longstring = length, IRV = 0) on >= 2 batteries.
STRAIGHTLINER_MIN_ITEMS = 5
STRAIGHTLINER_MIN_BATTERIES = 2
# ...or straight on one battery of at least this many items: the same answer eight times
# running is rare for an attentive respondent, and a form with a single battery would
# otherwise never get the flag. A single 5-7-item battery stays below it unless a wave's
# configuration lowers this.
STRAIGHTLINER_SINGLE_BATTERY_ITEMS = 8
# A battery still counts as straight with this many items skipped (docs/methods.md 2.3 reads
# longstring = length; one skipped item in an otherwise identical grid is still the same
# answer down the grid, and careless' NA-breaks-the-run would hide it).
STRAIGHTLINER_MAX_SKIPPED = 1

# Duplicates (docs/methods.md 3.2, 3.4). Kuriakose & Robbins' 85% is the floor only: each
# threshold actually used is raised until fewer than DUPLICATE_NULL_ALPHA chance pairs are
# expected above it among the pairs it applies to (the budget), counted on the wave's own
# look-alikes (Pew 2016: 85% alone flags look-alikes in a like-minded population).
DUPLICATE_MATCH_FLOOR = 0.85
DUPLICATE_NULL_ALPHA = 0.01
# Corroboration (docs/methods.md 3.4.3, a recommendation): a shared fingerprint or start times
# within 10 minutes.
DUPLICATE_START_WINDOW_MINUTES = 10.0
# A percent match over fewer common answered items says little.
DUPLICATE_MIN_ITEMS = 10
# Candidate blocks larger than this (a pattern shared by very many) are skipped for that
# band: quadratic pairs inside them would cost more than they reveal.
DUPLICATE_MAX_BLOCK = 200

# Attention checks (docs/methods.md 4, server-side checks): flag on one failed check.
ATTENTION_MIN_FAILED = 1

# Breakoffs: an in-progress response untouched this long is a breakoff, not a respondent
# still answering.
INCOMPLETE_STALE_HOURS = 24.0

# Bots (docs/methods.md 4): below half a second per answered item nobody reads the questions.
BOT_MIN_SECONDS_PER_ITEM = 0.5

# Counts where 0 is meaningful ("no skipped item allowed"); every other setting is positive.
ZERO_ALLOWED = frozenset({"straightliner_max_skipped"})

CONFIG_UNKNOWN_KEY = "cleaning_config: unknown key {key!r}; known keys: {known}"
CONFIG_BAD_VALUE = "cleaning_config: {key!r} must be {kind}, got {value!r}"
CONFIG_NOT_MAPPING = "cleaning_config must be a JSON object, got {kind}"


class CleaningConfigError(ValueError):
    """A wave's cleaning_config names an unknown rule setting or gives a bad value."""


@dataclass(frozen=True)
class CleaningConfig:
    speeder_rsi_threshold: float = SPEEDER_RSI_THRESHOLD
    speeder_rsi_cap: float = SPEEDER_RSI_CAP
    speeder_min_reference: int = SPEEDER_MIN_REFERENCE
    speeder_total_share: float = SPEEDER_TOTAL_SHARE
    speeder_page_seconds_per_item: float = SPEEDER_PAGE_SECONDS_PER_ITEM
    speeder_page_share: float = SPEEDER_PAGE_SHARE
    straightliner_min_items: int = STRAIGHTLINER_MIN_ITEMS
    straightliner_min_batteries: int = STRAIGHTLINER_MIN_BATTERIES
    straightliner_single_battery_items: int = STRAIGHTLINER_SINGLE_BATTERY_ITEMS
    straightliner_max_skipped: int = STRAIGHTLINER_MAX_SKIPPED
    duplicate_match_floor: float = DUPLICATE_MATCH_FLOOR
    duplicate_null_alpha: float = DUPLICATE_NULL_ALPHA
    duplicate_start_window_minutes: float = DUPLICATE_START_WINDOW_MINUTES
    duplicate_min_items: int = DUPLICATE_MIN_ITEMS
    duplicate_max_block: int = DUPLICATE_MAX_BLOCK
    attention_min_failed: int = ATTENTION_MIN_FAILED
    incomplete_stale_hours: float = INCOMPLETE_STALE_HOURS
    bot_min_seconds_per_item: float = BOT_MIN_SECONDS_PER_ITEM

    @classmethod
    def from_overrides(cls, *overrides: Mapping[str, Any] | None) -> CleaningConfig:
        """Defaults, then each mapping in turn (the wave's config, then a run's)."""
        values: dict[str, Any] = {}
        fields = {field.name: field for field in dataclasses.fields(cls)}
        for mapping in overrides:
            if mapping is None:
                continue
            if not isinstance(mapping, Mapping):
                raise CleaningConfigError(CONFIG_NOT_MAPPING.format(kind=type(mapping).__name__))
            for key, value in mapping.items():
                if key not in fields:
                    known = ", ".join(sorted(fields))
                    raise CleaningConfigError(CONFIG_UNKNOWN_KEY.format(key=key, known=known))
                values[key] = _checked(key, fields[key].type, value)
        return cls(**values)

    def as_dict(self) -> dict[str, float | int]:
        return dataclasses.asdict(self)


def _checked(key: str, kind: object, value: Any) -> float | int:
    # Booleans are ints to Python; a JSON true is never a threshold.
    if kind in ("int", int):
        lowest = 0 if key in ZERO_ALLOWED else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
            wanted = "a non-negative integer" if lowest == 0 else "a positive integer"
            raise CleaningConfigError(CONFIG_BAD_VALUE.format(key=key, kind=wanted, value=value))
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise CleaningConfigError(
            CONFIG_BAD_VALUE.format(key=key, kind="a positive number", value=value)
        )
    return float(value)
