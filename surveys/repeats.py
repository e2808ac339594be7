"""XLSForm repeats (`begin repeat` ... `end repeat`): how many times a roster is asked.

Django-free. A top-level repeat is a roster page (docs/xlsform.md "Repeats"): the items
inside it are asked once per instance (a household member, a trip), and the answers are
stored as a list of instances under the repeat's name, each instance a mapping of the
items' export names to their answers.

How many instances there are:
- `repeat_count` (also `count` or `jr:count`, as pyxform reads them): a number or an
  expression (`${hh_size}`) that fixes the count; the respondent cannot add or remove;
- `jr:noAddRemove` (`true()` in a `body::jr:noAddRemove` or `control::jr:noAddRemove`
  column, as ODK reads it): the respondent cannot add or remove either; without a
  repeat_count the roster has max(min, 1) instances;
- otherwise the respondent adds and removes instances between `min` and `max`, given in
  the `parameters` column of the `begin repeat` row (`min=1 max=8`); without them, 0 and
  MAX_INSTANCES. A roster is first shown with max(min, 1) instances.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Enough for any household or list of trips; it bounds what one response can store.
MAX_INSTANCES = 50
# Columns of the `begin repeat` row that fix the count (pyxform's aliases of jr:count).
COUNT_COLUMNS = ("repeat_count", "jr:count", "count")
PARAMETERS_COLUMN = "parameters"
# The column ODK reads `jr:noAddRemove` from (the `body::`/`control::` prefix is pyxform's
# way of putting it on the <repeat>; the reader strips it), and the header written back.
NO_ADD_REMOVE_COLUMNS = ("jr:noaddremove", "noaddremove")
NO_ADD_REMOVE_HEADER = "body::jr:noAddRemove"
NO_ADD_REMOVE_TRUE = "true()"
# The key a position(..) inside an instance reads: not a valid item name, so no item
# can collide with it.
POSITION_KEY = "#position"
# The key under which an evaluation namespace maps each roster item to its roster, so
# sum(${age}) finds the entries even when there are none.
ROSTERS_KEY = "#rosters"

ERROR_PARAMETER = (
    "parameter {part!r} of a repeat is not min=N or max=N (a whole number from 0 to {limit})"
)
ERROR_MIN_MAX = "the repeat's min ({low}) is greater than its max ({high})"
ERROR_COUNT_AND_BOUNDS = "a repeat with a repeat_count cannot also have min or max"
ERROR_NO_ADD_REMOVE = "jr:noAddRemove {value!r} is not true() or false()"
_TRUE = {"true()", "true", "yes", "1"}
_FALSE = {"", "false()", "false", "no", "0"}

_PARAMETER = re.compile(r"^(?P<key>min|max)\s*=\s*(?P<value>\d{1,4})$", re.IGNORECASE)


class RepeatError(ValueError):
    """A repeat's count or bounds cannot be read; the message names the problem."""


@dataclass(frozen=True)
class RepeatSpec:
    """The count rule of a roster page."""

    # repeat_count as written: a number or an expression fixing the count ("" if none).
    count: str = ""
    min_count: int = 0
    # 0: no maximum given (MAX_INSTANCES applies).
    max_count: int = 0
    # jr:noAddRemove: no "add" or "remove" buttons.
    no_add_remove: bool = False

    @property
    def is_fixed(self) -> bool:
        """A repeat_count fixes how many instances there are."""
        return bool(self.count.strip())

    @property
    def is_locked(self) -> bool:
        """The respondent cannot add or remove instances."""
        return self.is_fixed or self.no_add_remove

    @property
    def upper(self) -> int:
        return min(self.max_count or MAX_INSTANCES, MAX_INSTANCES)

    @property
    def first_count(self) -> int:
        """How many instances an unanswered roster shows."""
        return min(max(self.min_count, 1), self.upper)

    def parameters(self) -> str:
        """The `parameters` cell that reads back to these bounds."""
        parts = []
        if self.min_count:
            parts.append(f"min={self.min_count}")
        if self.max_count:
            parts.append(f"max={self.max_count}")
        return " ".join(parts)

    def as_dict(self) -> dict[str, object]:
        # The flag only when set, so the stored form of other rosters is unchanged.
        fixed = {"no_add_remove": True} if self.no_add_remove else {}
        return {"count": self.count, "min": self.min_count, "max": self.max_count, **fixed}


def repeat_from_dict(data: object) -> RepeatSpec | None:
    """The stored form of a RepeatSpec (Page.repeat, the JSON twin); None for a page."""
    if not isinstance(data, dict):
        return None
    return RepeatSpec(
        count=str(data.get("count", "")),
        min_count=int(data.get("min", 0) or 0),
        max_count=int(data.get("max", 0) or 0),
        no_add_remove=bool(data.get("no_add_remove", False)),
    )


def read_no_add_remove(value: str) -> bool:
    """A `jr:noAddRemove` cell as ODK reads it; raises RepeatError on anything else."""
    written = value.strip().lower()
    if written in _TRUE:
        return True
    if written in _FALSE:
        return False
    raise RepeatError(ERROR_NO_ADD_REMOVE.format(value=value))


def read_repeat(count: str, parameters: str, *, no_add_remove: bool = False) -> RepeatSpec:
    """The rule a `begin repeat` row gives; raises RepeatError naming what is wrong."""
    bounds: dict[str, int] = {}
    for part in re.split(r"[\s;,]+", parameters.strip()) if parameters.strip() else []:
        match = _PARAMETER.fullmatch(part)
        if match is None or int(match["value"]) > MAX_INSTANCES:
            raise RepeatError(ERROR_PARAMETER.format(part=part, limit=MAX_INSTANCES))
        bounds[match["key"].lower()] = int(match["value"])
    spec = RepeatSpec(
        count=count.strip(),
        min_count=bounds.get("min", 0),
        max_count=bounds.get("max", 0),
        no_add_remove=no_add_remove,
    )
    if spec.is_fixed and bounds:
        raise RepeatError(ERROR_COUNT_AND_BOUNDS)
    if spec.max_count and spec.min_count > spec.max_count:
        raise RepeatError(ERROR_MIN_MAX.format(low=spec.min_count, high=spec.max_count))
    return spec


def fixed_count(value: object) -> int:
    """A repeat_count's value as a number of instances: a whole number in 0..MAX_INSTANCES
    (an empty or unreadable count is 0, as ODK shows no instance)."""
    try:
        number = float(str(value).strip()) if value not in (None, "") else 0.0
    except ValueError:
        return 0
    if number != number:  # NaN
        return 0
    return max(0, min(int(number), MAX_INSTANCES))


def instance_key(item: str, number: int) -> str:
    """The key of one entry's answer outside the roster (a free-text scrub is stored under
    it): `item#2`; `#` is never part of an XLSForm name."""
    return f"{item}#{number}"


def instance_answers(answers: Mapping[str, object]) -> dict[str, object]:
    """Every roster entry's answers under their instance keys."""
    found: dict[str, object] = {}
    for value in answers.values():
        for number, entry in enumerate(instances(value), start=1):
            found.update({instance_key(k, number): v for k, v in entry.items()})
    return found


def instances(value: object) -> list[dict[str, object]]:
    """A stored roster answer as its list of instances (anything else is no instance)."""
    if not isinstance(value, list):
        return []
    return [dict(item) for item in value if isinstance(item, dict)]
