"""From stored answers to export columns, one version group of a batch at a time.

Missing codes (docs/methods.md 7.6, internal and negative so they never collide with answers):
  -4 the item is not in this wave's version;
  -3 not applicable: the item's (or its page's) `relevant` condition is false for this
     response's answers (the form neither asks nor stores hidden items), evaluated with the
     form's own evaluator (surveys/expressions.py) once per distinct pattern of the answers
     the condition reads; a condition that cannot be evaluated counts as shown, as the form
     shows such an item (respondents/services/answers.py);
  -5 break-off: an abandoned response holds no answer;
  -2 no answer: shown (or not knowably hidden) and left empty;
  -6 removed by disclosure control.
String columns (text, "other, specify", the select_multiple code list) hold "" whenever
there is no text; their companion `<name>_status` column (numeric) says why: 0 answered, or
the missing code above. Labels come in the export's language (MISSING_TEXTS, TEXTS).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from exports.dataset import Variable
from exports.factors import Factor
from exports.harmonise import TwinPlan
from exports.items import Item, ItemVersion
from exports.texts import translate_to
from surveys.expressions import ExpressionError, is_true, references

DONT_KNOW = -1
NO_ANSWER = -2
NOT_APPLICABLE = -3
NOT_ASKED = -4
BREAK_OFF = -5
SUPPRESSED = -6
ANSWERED = 0
# English, marked for translation; missing_scheme() and label_text() give the export's
# language through locale/ (exports/texts.py).
MISSING_TEXTS: dict[int, str] = {
    DONT_KNOW: gettext_noop("Don't know"),
    NO_ANSWER: gettext_noop("No answer (left empty)"),
    NOT_APPLICABLE: gettext_noop("Not applicable (hidden by skip logic)"),
    NOT_ASKED: gettext_noop("Not asked in this wave or version"),
    BREAK_OFF: gettext_noop("Break-off or technical missing"),
    SUPPRESSED: gettext_noop("Removed by disclosure control"),
}
# Short texts the export writes into labels.
TEXTS: dict[str, str] = {
    "other_specify": gettext_noop("other, specify"),
    "status": gettext_noop("answer status"),
    "answered": gettext_noop("Answered"),
    "yes": gettext_noop("Yes"),
    "no": gettext_noop("No"),
    "chosen": gettext_noop("Chosen"),
    "not_chosen": gettext_noop("Not chosen"),
    "person": gettext_noop("Person (pseudonym, keyed per export)"),
    "wave": gettext_noop("Wave"),
    "version": gettext_noop("Questionnaire version"),
    "complete": gettext_noop("Response completed"),
    "duration": gettext_noop("Total duration in seconds (start to completion)"),
    "not_completed": gettext_noop("Not completed"),
    "flag": gettext_noop("Cleaning flag: {rule}"),
    "flagged": gettext_noop("Any cleaning flag"),
    "not_cleaned": gettext_noop("Wave not cleaned"),
    "speed_index": gettext_noop("Relative speed index (Leiner 2019), from the page times"),
    "speed_missing": gettext_noop(
        "Not computed: response not completed, or no page with enough reference completes"
    ),
    "took_part": gettext_noop("Took part in wave {wave}"),
    "in_wave": gettext_noop("{label} (wave {wave})"),
}
ITEM_CODES = (NO_ANSWER, NOT_APPLICABLE, NOT_ASKED, BREAK_OFF)
# English defaults, kept for callers that have no language.
MISSING_SCHEME = MISSING_TEXTS
ITEM_MISSING = {code: MISSING_SCHEME[code] for code in ITEM_CODES}


def missing_scheme(language: str) -> dict[int, str]:
    return {code: translate_to(language, text) for code, text in MISSING_TEXTS.items()}


def item_missing(language: str) -> dict[int, str]:
    scheme = missing_scheme(language)
    return {code: scheme[code] for code in ITEM_CODES}


def label_text(language: str, key: str) -> str:
    return translate_to(language, TEXTS[key])


@dataclass(frozen=True)
class Group:
    """Rows of one batch fielded on one version: their answers, one column per item.

    The answers come either as `factors` (exports/flatten.py: per answer key, each row's
    position among the key's distinct values) or as `raw` object columns; `raw`'s index
    is the rows' in both. With factors, each rule below runs once per distinct answer and
    is spread to the rows by position, so its cost follows the distinct answers, not the
    cells."""

    raw: pd.DataFrame
    abandoned: pd.Series
    factors: Mapping[str, Factor] = field(default_factory=dict)
    # Expression -> whether it holds for each row (filled on first use).
    relevance: dict[str, pd.Series] = field(default_factory=dict, compare=False)

    @property
    def index(self) -> pd.Index:
        return self.raw.index


Compute = Callable[[Item, ItemVersion | None, Group], pd.Series]


@dataclass(frozen=True)
class Column:
    variable: Variable
    item: Item | None
    compute: Compute
    # Free text that is scrubbed before release; its key in the response's answers.
    is_free_text: bool = False
    answer_key: str = ""
    # Computed after disclosure control from the released value of this column (a
    # harmonised twin of a quasi-identifier), instead of from the raw answer.
    released_from: str | None = None
    derive: Callable[[float], float] | None = None


def is_answered(value: Any) -> bool:
    if value is None or value == "" or value == []:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def answered_scalars(raw: pd.Series) -> pd.Series:
    """is_answered for a column of scalar answers (numbers, single choices), vectorised."""
    values = raw.to_numpy(dtype=object)
    return pd.Series(pd.notna(values) & (values != ""), index=raw.index)


@dataclass(frozen=True)
class Distinct:
    """A key's answers as distinct values (the last is "absent") and each row's position."""

    values: pd.Series
    positions: np.ndarray

    def spread(self, per_value: pd.Series | np.ndarray, index: pd.Index) -> pd.Series:
        """Values computed per distinct answer, as a column over the rows."""
        data = np.asarray(per_value)
        return pd.Series(data[self.positions], index=index, dtype=data.dtype)


def distinct(group: Group, key: str) -> Distinct:
    factor = group.factors.get(key)
    if factor is not None:
        values = np.empty(len(factor.values) + 1, dtype=object)
        values[: len(factor.values)] = factor.values
        values[-1] = None
        positions = np.where(factor.codes < 0, len(factor.values), factor.codes)
        return Distinct(pd.Series(values, dtype=object), positions)
    column = raw_column(group, key).reset_index(drop=True)
    return Distinct(column, np.arange(len(column)))


def map_values(group: Group, key: str, function: Callable[[Any], Any]) -> pd.Series:
    """`function` of each row's answer to `key`, called once per distinct answer."""
    found = distinct(group, key)
    return found.spread(_object_map(found.values, function), group.index)


def _object_map(values: pd.Series, function: Callable[[Any], Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values.tolist()):
        out[i] = function(value)
    return out


def raw_column(group: Group, key: str) -> pd.Series:
    if key in group.raw.columns:
        return group.raw[key]
    factor = group.factors.get(key)
    if factor is not None:
        return pd.Series(factor.objects(), index=group.index, dtype="object")
    return pd.Series([None] * len(group.raw), index=group.raw.index, dtype="object")


def _hashable(value: Any) -> Any:
    if not is_answered(value):
        return None
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return value


def relevant_rows(expression: str, group: Group) -> pd.Series:
    """Whether `expression` holds for each row's answers; True when it is empty or broken."""
    cached = group.relevance.get(expression)
    if cached is not None:
        return cached
    if not expression.strip():
        group.relevance[expression] = pd.Series(True, index=group.index)
        return group.relevance[expression]
    try:
        names = sorted(references(expression))
    except ExpressionError:
        result = pd.Series(True, index=group.index)
        group.relevance[expression] = result
        return result
    found = [distinct(group, name) for name in names]
    hashable = [_object_map(d.values, _hashable) for d in found]
    if names:
        # Rows alike in the positions of every answer the condition reads share a pattern.
        stacked = np.stack([d.positions for d in found], axis=1)
        unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
    else:
        unique, inverse = np.zeros((1, 0), dtype=np.intp), np.zeros(len(group.index), np.intp)
    # One evaluation per distinct pattern of the answers the condition reads.
    outcome: dict[tuple[Any, ...], bool] = {}
    holds = np.empty(len(unique), dtype=bool)
    for p, positions in enumerate(unique):
        pattern = tuple(h[i] for h, i in zip(hashable, positions, strict=True))
        if pattern not in outcome:
            answers = {
                name: list(value) if isinstance(value, tuple) else value
                for name, value in zip(names, pattern, strict=True)
            }
            try:
                outcome[pattern] = is_true(expression, answers)
            except ExpressionError:
                outcome[pattern] = True
        holds[p] = outcome[pattern]
    result = pd.Series(holds[inverse], index=group.index, dtype=bool)
    group.relevance[expression] = result
    return result


def missing_codes(
    version: ItemVersion, group: Group, *, extra: pd.Series | None = None
) -> pd.Series:
    """The missing code each row gets where it holds no answer; `extra` narrows relevance
    further (the "other, specify" text is shown only when the other choice is chosen)."""
    return pd.Series(_missing_array(version, group, extra=extra), index=group.index)


def _missing_array(
    version: ItemVersion, group: Group, *, extra: pd.Series | None = None
) -> np.ndarray:
    shown = relevant_rows(version.relevant, group)
    if extra is not None:
        shown = shown & extra
    visible = shown.to_numpy(dtype=bool)
    # numpy, not boolean assignment into a Series: a tenth of an export's time otherwise.
    codes = np.where(visible, float(NO_ANSWER), float(NOT_APPLICABLE))
    codes[group.abandoned.to_numpy(dtype=bool) & visible] = float(BREAK_OFF)
    return codes


def not_asked(group: Group, *, string: bool) -> pd.Series:
    if string:
        return pd.Series("", index=group.index, dtype="object")
    return pd.Series(float(NOT_ASKED), index=group.index)


def _answered_or_missing(
    answered: pd.Series | np.ndarray,
    values: pd.Series | np.ndarray,
    version: ItemVersion,
    group: Group,
) -> pd.Series:
    keep = np.asarray(answered, dtype=bool)
    data = np.asarray(values, dtype=np.float64)
    return pd.Series(
        np.where(keep, data, _missing_array(version, group)), index=group.index, dtype="float64"
    )


def numeric(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
    if version is None:
        return not_asked(group, string=False)
    found = distinct(group, item.name)
    answered = answered_scalars(found.values)
    values = pd.to_numeric(found.values.where(answered), errors="coerce").astype("float64")
    rows = found.positions
    return _answered_or_missing(
        answered.to_numpy(dtype=bool)[rows], values.to_numpy()[rows], version, group
    )


def single_choice(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
    """Worked out on the distinct answers (numpy, as few pandas calls as possible: this
    runs for most items of every batch), then spread to the rows."""
    if version is None:
        return not_asked(group, string=False)
    found = distinct(group, item.name)
    raw = found.values.to_numpy(dtype=object)
    answered = pd.notna(raw) & (raw != "")
    names, codes = version.code_lookup
    # One hash lookup; an answer stored as a number rather than a choice name (an
    # imported file) is looked up by its text.
    position = names.get_indexer(pd.Index(raw, dtype=object))
    values = np.where(position >= 0, codes[position], math.nan).astype(np.float64)
    stray = answered & np.isnan(values)
    if stray.any():
        as_text = names.get_indexer(pd.Index([str(v) for v in raw[stray]], dtype=object))
        values[stray] = np.where(as_text >= 0, codes[as_text], math.nan)
    # An answer outside the version's list (an import typo) is technical missing.
    values = np.where(answered & np.isnan(values), float(BREAK_OFF), values)
    rows = found.positions
    return _answered_or_missing(answered[rows], values[rows], version, group)


def multiple_codes(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
    """The chosen options' XLSForm names, space-separated, in the version's order."""
    if version is None:
        return not_asked(group, string=True)
    codes = version.code_of()

    def join(value: Any) -> str:
        names = _choice_names(value)
        return " ".join(n for n in sorted(names, key=lambda n: codes.get(n, 0)) if n in codes)

    return map_values(group, item.name, join).astype("object")


def option_dummy(option_name: str) -> Compute:
    def compute(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
        if version is None or option_name not in version.code_of():
            return not_asked(group, string=False)
        answered = map_values(group, item.name, is_answered)
        chosen = map_values(group, item.name, lambda v: float(option_name in _choice_names(v)))
        return _answered_or_missing(answered, chosen, version, group)

    return compute


def _choice_names(value: Any) -> list[str]:
    # Stored as a list; imported as the XLSForm space-separated string; NaN when absent.
    if not is_answered(value):
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def _other_chosen(item: Item, version: ItemVersion, group: Group) -> pd.Series:
    chosen = map_values(group, item.name, lambda v: str(v) if is_answered(v) else None)
    return chosen == version.other_choice


def text(key_suffix: str = "") -> Compute:
    def compute(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
        if version is None:
            return not_asked(group, string=True)
        key = item.name + key_suffix
        return map_values(group, key, lambda v: str(v).strip() if is_answered(v) else "")

    return compute


def status(key_suffix: str = "") -> Compute:
    """Companion of a string column: 0 answered, else why there is no text."""

    def compute(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
        if version is None:
            return not_asked(group, string=False)
        key = item.name + key_suffix
        if item.type == "select_multiple":
            answered = map_values(group, key, lambda v: bool(_choice_names(v)))
        else:
            answered = map_values(group, key, lambda v: is_answered(v) and bool(str(v).strip()))
        extra = None
        if key_suffix == "_other":
            if not version.other_choice:
                return not_asked(group, string=False)
            extra = _other_chosen(item, version, group)
        codes = missing_codes(version, group, extra=extra)
        return codes.where(~answered.astype(bool), float(ANSWERED)).astype("float64")

    return compute


def quasi_text(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
    """Raw text with numeric missing codes: coarsened into place codes by kanon."""
    if version is None:
        return not_asked(group, string=False).astype("object")
    answered = map_values(group, item.name, is_answered).astype(bool)
    texts = map_values(group, item.name, str)
    return texts.where(answered, missing_codes(version, group)).astype("object")


def map_floats(values: pd.Series, function: Callable[[float], float]) -> pd.Series:
    """`function` of each value of a float column, called once per distinct value."""
    data = values.to_numpy(dtype=np.float64)
    unique, inverse = np.unique(data, return_inverse=True)
    mapped = np.array([function(float(v)) for v in unique], dtype=np.float64)
    return pd.Series(mapped[inverse.reshape(-1)], index=values.index, dtype="float64")


def twin(plan: TwinPlan) -> Compute:
    base = single_choice

    def compute(item: Item, version: ItemVersion | None, group: Group) -> pd.Series:
        chooser = base if item.type == "select_one" else numeric
        values = chooser(item, version, group)
        return map_floats(values, plan.apply)

    return compute


def released_twin(plan: TwinPlan, original_codes: Mapping[int, str]) -> Callable[[float], float]:
    """A quasi-identifier's twin from its released value: a code that survived disclosure
    control recodes as usual; a merged ("other") or suppressed value is suppressed."""
    kept = {float(code) for code in original_codes}

    def derive(value: float) -> float:
        if value < 0:
            return value
        return plan.apply(value) if value in kept else float(SUPPRESSED)

    return derive
