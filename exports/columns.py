"""From stored answers to export columns, one version group of a batch at a time.

Missing codes (methods.md 7.6, internal and negative so they never collide with answers):
  -4 the item is not in this wave's version; -3 not applicable: the item (or its page) has
  a `relevant` condition and holds no answer (the form neither asks nor stores hidden items);
  -5 break-off: an abandoned response holds no answer; -2 no answer: left empty;
  -6 removed by disclosure control. String columns hold "" for every missing case.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from exports.dataset import Variable
from exports.harmonise import TwinPlan
from exports.items import Item, ItemVersion

DONT_KNOW = -1
NO_ANSWER = -2
NOT_APPLICABLE = -3
NOT_ASKED = -4
BREAK_OFF = -5
SUPPRESSED = -6
MISSING_SCHEME: dict[int, str] = {
    DONT_KNOW: "Don't know",
    NO_ANSWER: "No answer (left empty)",
    NOT_APPLICABLE: "Not applicable (hidden by skip logic)",
    NOT_ASKED: "Not asked in this wave or version",
    BREAK_OFF: "Break-off or technical missing",
    SUPPRESSED: "Removed by disclosure control",
}
ITEM_MISSING = {code: MISSING_SCHEME[code] for code in (-2, -3, -4, -5)}


@dataclass(frozen=True)
class Group:
    """Rows of one batch fielded on one version: their answers, one column per item."""

    raw: pd.DataFrame
    abandoned: pd.Series


Compute = Callable[[Item, ItemVersion | None, Group], pd.Series]


@dataclass(frozen=True)
class Column:
    variable: Variable
    item: Item | None
    compute: Compute
    # Free text that is scrubbed before release.
    is_free_text: bool = False


def is_answered(value: Any) -> bool:
    if value is None or value == "" or value == []:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def raw_column(group: Group, key: str) -> pd.Series:
    if key in group.raw.columns:
        return group.raw[key]
    return pd.Series([None] * len(group.raw), index=group.raw.index, dtype="object")


def missing_codes(version: ItemVersion, group: Group) -> pd.Series:
    codes = pd.Series(
        float(NOT_APPLICABLE if version.relevant else NO_ANSWER), index=group.raw.index
    )
    codes[group.abandoned] = float(BREAK_OFF)
    return codes


def not_asked(group: Group, *, string: bool) -> pd.Series:
    if string:
        return pd.Series("", index=group.raw.index, dtype="object")
    return pd.Series(float(NOT_ASKED), index=group.raw.index)


def numeric(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
    if version is None:
        return not_asked(group, string=False)
    raw = raw_column(group, item.name)
    answered = raw.map(is_answered)
    values = pd.to_numeric(raw.where(answered), errors="coerce").astype("float64")
    return values.where(answered, missing_codes(version, group))


def single_choice(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
    if version is None:
        return not_asked(group, string=False)
    raw = raw_column(group, item.name)
    answered = raw.map(is_answered)
    codes = version.code_of()
    values = raw.map(lambda v: float(codes[str(v)]) if str(v) in codes else math.nan)
    # An answer outside the version's list (an import typo) is technical missing.
    values = values.where(~answered | values.notna(), float(BREAK_OFF))
    return values.where(answered, missing_codes(version, group)).astype("float64")


def multiple_codes(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
    if version is None:
        return not_asked(group, string=True)
    codes = version.code_of()

    def join(value: Any) -> str:
        names = _choice_names(value)
        return " ".join(
            str(codes[n]) for n in sorted(names, key=lambda n: codes.get(n, 0)) if n in codes
        )

    return raw_column(group, item.name).map(join).astype("object")


def option_dummy(option_name: str) -> Compute:
    def compute(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
        if version is None or option_name not in version.code_of():
            return not_asked(group, string=False)
        raw = raw_column(group, item.name)
        answered = raw.map(is_answered)
        chosen = raw.map(lambda v: float(option_name in _choice_names(v)))
        return chosen.where(answered, missing_codes(version, group)).astype("float64")

    return compute


def _choice_names(value: Any) -> list[str]:
    # Stored as a list; imported as the XLSForm space-separated string; NaN when absent.
    if not is_answered(value):
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def text(key_suffix: str = "") -> Compute:
    def compute(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
        if version is None:
            return not_asked(group, string=True)
        raw = raw_column(group, item.name + key_suffix)
        return raw.map(lambda v: str(v).strip() if is_answered(v) else "").astype("object")

    return compute


def quasi_text(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
    """Raw text with numeric missing codes: coarsened into place codes by kanon."""
    if version is None:
        return not_asked(group, string=False).astype("object")
    raw = raw_column(group, item.name)
    answered = raw.map(is_answered)
    return raw.map(str).where(answered, missing_codes(version, group)).astype("object")


def twin(plan: TwinPlan) -> Compute:
    base = single_choice

    def compute(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
        chooser = base if item.type == "select_one" else numeric
        values = chooser(item, version, group)
        return values.map(plan.apply).astype("float64")

    return compute
