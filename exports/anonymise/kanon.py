"""k-anonymity for quasi-identifiers: coarsening, then local suppression.

Rule (docs/methods.md 5.2 "global recoding first, then local suppression", 5.6 step 3):
1. Coarsen each quasi-identifier:
   - age: 5-year bands, top-coded at 70+ (docs/methods.md 5.6); other numbers: bands of a round
     width; then the lowest and highest bands are merged inward until each holds >= k rows;
   - categories: codes held by fewer than k rows are merged into one "Other (merged)" code;
   - free-text places: kept (as codes, labelled with the place) only when >= k rows name the
     same place (case and spacing ignored), otherwise suppressed;
   - dates: year and quarter (emigration month to quarter, docs/methods.md 5.6).
2. Local suppression until every combination of released values is shared by >= k rows
   (within each group: each wave in the long layout). A suppressed value is released as
   SUPPRESSED (-6, docs/methods.md 7.6) and counts as its own value; missing codes count as
   values too. This is k-anonymity in the strict sense: no "NA matches everything"
   (sdcMicro's alpha = 0). A NOT_ASKED (-4) cell is never suppressed: it says the wave's
   version does not ask the item (long layout) or the person did not take part in that wave
   (wide layout), which the rest of the row releases anyway; the caller groups rows so
   that every row of a group shares its -4 cells (the wave; the pattern of waves taken
   part in), and a group smaller than k is refused.
3. Global risk (docs/methods.md 5.6 step 4): with r_i = 1/f_k the expected re-identifications
   ER = sum r_i is the number of classes, so ER/n <= max_global_risk means classes of at
   least 1/max_global_risk rows on average. `reduce_global_risk` suppresses further, the
   smallest class first (it costs the fewest values per class removed): one value when
   that merges the class into an existing one, else every value of the class (it joins
   its group's all-suppressed class), until the limit holds or nothing is left to
   suppress (then the report says the limit was not reached).
Values here are numbers: codes and negative missing codes (< 0 is never coarsened).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

SUPPRESSED = -6
NOT_ASKED = -4
AGE_BAND = 5
AGE_TOP_CODE = 70
# Values above this are not ages (years of birth, incomes): banded generically.
AGE_MAX_PLAUSIBLE = 120
TARGET_BANDS = 10
OTHER_LABEL = "Other (merged: rare categories)"

QuasiKind = Literal["age", "numeric", "category", "place", "date"]

ERROR_GROUP_TOO_SMALL = (
    "k-anonymity with k={k} is impossible: {group} has only {rows} rows; choose a smaller k "
    "or more waves"
)


class KAnonymityError(ValueError):
    """k cannot be reached (a group has fewer than k rows)."""


@dataclass(frozen=True)
class QuasiColumn:
    name: str
    kind: QuasiKind
    # Code -> label before coarsening (categories).
    labels: Mapping[int, str] = field(default_factory=dict)


@dataclass
class Coarsened:
    frame: pd.DataFrame
    # Column -> code -> label after coarsening.
    value_labels: dict[str, dict[int, str]]
    notes: dict[str, list[str]]


@dataclass
class Suppressed:
    frame: pd.DataFrame
    # Column -> values suppressed by local suppression (coarsening suppressions excluded).
    counts: dict[str, int]


@dataclass
class RiskReduced:
    frame: pd.DataFrame
    # Column -> values suppressed to bring the global risk within the limit.
    counts: dict[str, int]
    global_risk: float
    within_limit: bool


def coarsen(frame: pd.DataFrame, columns: Sequence[QuasiColumn], k: int) -> Coarsened:
    out = frame.copy()
    labels: dict[str, dict[int, str]] = {}
    notes: dict[str, list[str]] = {}
    for column in columns:
        series = frame[column.name]
        if column.kind in ("age", "numeric"):
            coded, labels[column.name], note = band_numbers(series, k, is_age=column.kind == "age")
        elif column.kind == "place":
            coded, labels[column.name], note = common_places(series, k)
        elif column.kind == "date":
            coded, labels[column.name], note = quarters(series)
        else:
            coded, labels[column.name], note = merge_rare(series, column.labels, k)
        out[column.name] = coded
        notes[column.name] = [note]
    return Coarsened(frame=out, value_labels=labels, notes=notes)


def band_numbers(
    series: pd.Series, k: int, *, is_age: bool
) -> tuple[pd.Series, dict[int, str], str]:
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    valid = values >= 0
    if is_age and values[valid].max(skipna=True) > AGE_MAX_PLAUSIBLE:
        is_age = False
    width = AGE_BAND if is_age else _round_width(values[valid])
    # np.floor, not math.floor: an answer that is not a number (an import, a type changed
    # between versions) is NaN here, and math.floor(NaN) raises.
    lower = (values / width).apply(np.floor) * width
    if is_age:
        lower = lower.where(lower < AGE_TOP_CODE, AGE_TOP_CODE)
    starts = sorted(int(v) for v in lower[valid].dropna().unique())
    counts = lower[valid].value_counts()
    merged = _merge_edges(starts, {int(s): int(counts.get(s, 0)) for s in starts}, k)
    code_of = {start: group[0] for group in merged for start in group}
    coded = values.copy()
    coded[valid] = lower[valid].map(lambda v: code_of[int(v)]).astype("float64")
    band_labels = {}
    for index, group in enumerate(merged):
        top_open = index == len(merged) - 1 and (is_age and group[-1] == AGE_TOP_CODE)
        last = group[-1] + width - (1 if width >= 1 else 0)
        if top_open or (index == len(merged) - 1 and len(group) > 1):
            band_labels[group[0]] = f"{group[0]}+"
        elif index == 0 and len(group) > 1:
            band_labels[group[0]] = f"{_fmt(last)} or less"
        else:
            band_labels[group[0]] = f"{_fmt(group[0])}-{_fmt(last)}"
    top = f", top-coded at {AGE_TOP_CODE}+" if is_age else ""
    note = (
        f"coarsened to {_fmt(width)}-unit bands{top}; edge bands with fewer than {k} rows "
        "merged; the code is the band's lower bound"
    )
    return coded, band_labels, note


def _round_width(values: pd.Series) -> float:
    span = float(values.max() - values.min()) if len(values) else 0.0
    if span <= 0:
        return 1.0
    raw = span / TARGET_BANDS
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def _merge_edges(starts: list[int], counts: Mapping[int, int], k: int) -> list[list[int]]:
    groups = [[start] for start in starts]

    def size(group: list[int]) -> int:
        return sum(counts[s] for s in group)

    while len(groups) > 1 and size(groups[0]) < k:
        groups[1] = groups[0] + groups[1]
        groups.pop(0)
    while len(groups) > 1 and size(groups[-1]) < k:
        groups[-2] = groups[-2] + groups[-1]
        groups.pop()
    return groups


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def merge_rare(
    series: pd.Series, labels: Mapping[int, str], k: int
) -> tuple[pd.Series, dict[int, str], str]:
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    valid = values >= 0
    counts = values[valid].value_counts()
    rare = sorted(int(float(str(code))) for code, count in counts.items() if count < k)
    kept = {code: label for code, label in labels.items() if code not in rare}
    coded = values.copy()
    if len(rare) >= 1:
        other = max([*labels.keys(), *(int(c) for c in counts.index)]) + 1
        coded[values.isin(rare)] = float(other)
        kept[other] = OTHER_LABEL
        merged = ", ".join(labels.get(code, str(code)) for code in rare)
        note = f"categories with fewer than {k} rows merged into code {other}: {merged}"
    else:
        note = f"no category had fewer than {k} rows"
    return coded, kept, note


def normalise_place(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().casefold()


def common_places(series: pd.Series, k: int) -> tuple[pd.Series, dict[int, str], str]:
    is_text = series.map(lambda v: isinstance(v, str) and bool(v.strip()))
    keys = series[is_text].map(normalise_place)
    counts = keys.value_counts()
    common = sorted(str(key) for key, count in counts.items() if count >= k)
    shown = {key: series[is_text][keys == key].iloc[0].strip() for key in common}
    code_of = {key: code for code, key in enumerate(common, start=1)}
    coded = pd.Series(np.nan, index=series.index, dtype="float64")
    coded[~is_text] = pd.to_numeric(series[~is_text], errors="coerce")
    coded[is_text] = keys.map(lambda key: float(code_of.get(key, SUPPRESSED)))
    suppressed = int((coded[is_text] == SUPPRESSED).sum())
    note = (
        f"free text coded as places named by at least {k} rows; {suppressed} rarer "
        f"answers suppressed ({SUPPRESSED})"
    )
    return coded, {code: shown[key] for key, code in code_of.items()}, note


def quarters(series: pd.Series) -> tuple[pd.Series, dict[int, str], str]:
    def code(value: object) -> float:
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value[:10])
            except ValueError:
                return float(SUPPRESSED)
            return float(day.year * 10 + (day.month - 1) // 3 + 1)
        return float(value) if isinstance(value, int | float) else math.nan

    coded = series.map(code).astype("float64")
    labels = {int(c): f"{int(c) // 10}-Q{int(c) % 10}" for c in coded[coded > 0].unique()}
    return coded, labels, "dates coarsened to year and quarter (code = year * 10 + quarter)"


def class_sizes(frame: pd.DataFrame, columns: Sequence[str], group: str | None) -> pd.Series:
    """For each row, how many rows share its combination of released values."""
    keys = [*([group] if group else []), *columns]
    if not keys:
        return pd.Series(len(frame), index=frame.index, dtype="int64")
    # fillna keeps NaN rows in their own class instead of groupby dropping them.
    filled = frame[keys].astype("float64").fillna(-999.0)
    return filled.groupby(keys, dropna=False)[keys[0]].transform("size").astype("int64")


def is_k_anonymous(frame: pd.DataFrame, columns: Sequence[str], k: int, group: str | None) -> bool:
    return bool(len(frame) == 0 or class_sizes(frame, columns, group).min() >= k)


def suppress_locally(
    frame: pd.DataFrame,
    columns: Sequence[str],
    k: int,
    *,
    group: str | None = None,
    group_name: Callable[[object], str] | None = None,
) -> Suppressed:
    """Suppress values, most varied column first, until every class has >= k rows."""
    out = frame.copy()
    counts = dict.fromkeys(columns, 0)
    _refuse_small_groups(out, k, group, group_name or (lambda value: f"{group} {value}"))
    # Columns with many distinct values split classes most; suppressing them first
    # removes the fewest values (the Handbook's "least important first" without weights).
    order = sorted(columns, key=lambda c: -out[c].nunique(dropna=False))
    for column in order:
        unsafe = class_sizes(out, columns, group) < k
        if not unsafe.any():
            break
        change = unsafe & (out[column] != SUPPRESSED) & (out[column] != NOT_ASKED)
        out.loc[change, column] = float(SUPPRESSED)
        counts[column] += int(change.sum())
    _absorb_leftovers(out, columns, k, group, counts)
    return Suppressed(frame=out, counts=counts)


def _refuse_small_groups(
    frame: pd.DataFrame, k: int, group: str | None, name: Callable[[object], str]
) -> None:
    if group is None:
        if 0 < len(frame) < k:
            raise KAnonymityError(
                ERROR_GROUP_TOO_SMALL.format(k=k, group="the export", rows=len(frame))
            )
        return
    for value, rows in frame.groupby(group).size().items():
        if rows < k:
            raise KAnonymityError(ERROR_GROUP_TOO_SMALL.format(k=k, group=name(value), rows=rows))


def _absorb_leftovers(
    frame: pd.DataFrame, columns: Sequence[str], k: int, group: str | None, counts: dict[str, int]
) -> None:
    """Rows still unsafe now have every value suppressed; if that class is smaller than k,
    move rows into it from classes that can spare them, else fold in whole small classes."""
    parts = frame.groupby(group).groups.values() if group else [frame.index]
    for index in parts:
        ids = _class_ids(frame.loc[index], columns)
        # NOT_ASKED cells stay; the group's rows share them (see the module docstring).
        everything_suppressed = _fully_suppressed(ids.iloc[0]) if len(ids) else ()
        short = k - int((ids == everything_suppressed).sum())
        if short <= 0 or short == k:
            continue
        others = ids[ids != everything_suppressed]
        sizes = others.value_counts()
        spare = {cid: int(size) - k for cid, size in sizes.items() if size > k}
        donors: list[object] = []
        for label, cid in others.items():
            if len(donors) < short and spare.get(cid, 0) > 0:
                donors.append(label)
                spare[cid] -= 1
        if len(donors) < short:
            donors = []
            for cid in sizes.sort_values(kind="stable").index:
                donors.extend(others.index[others == cid])
                if len(donors) >= short:
                    break
        for column in columns:
            change = (
                frame.index.isin(donors)
                & (frame[column] != SUPPRESSED)
                & (frame[column] != NOT_ASKED)
            )
            frame.loc[change, column] = float(SUPPRESSED)
            counts[column] += int(change.sum())


def _fully_suppressed(values: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(v if v == NOT_ASKED else float(SUPPRESSED) for v in values)


def reduce_global_risk(
    frame: pd.DataFrame,
    columns: Sequence[str],
    limit: float,
    *,
    group: str | None = None,
) -> RiskReduced:
    """Suppress further until ER/n <= limit (see the module docstring, step 3)."""
    out = frame.copy()
    counts = dict.fromkeys(columns, 0)
    rows = len(out)
    if rows == 0 or not columns:
        risk = float(class_sizes(out, columns, group).rdiv(1.0).sum() / rows) if rows else 0.0
        return RiskReduced(out, counts, risk, risk <= limit)
    keys = [*([group] if group else []), *columns]
    offset = 1 if group else 0
    ids = pd.Series(
        list(map(tuple, out[keys].astype("float64").fillna(-999.0).to_numpy().tolist())),
        index=out.index,
    )
    sizes: dict[tuple[float, ...], int] = {}
    for key in ids:
        sizes[key] = sizes.get(key, 0) + 1
    # Current class of each original class, followed through merges.
    moved: dict[tuple[float, ...], tuple[float, ...]] = {}
    order = sorted(range(len(columns)), key=lambda j: -out[columns[j]].nunique(dropna=False))
    while len(sizes) / rows > limit:
        movable = [c for c in sizes if _fully(c, offset) != c]
        if not movable:
            break
        smallest = min(movable, key=lambda c: (sizes[c], c))
        target = _merge_target(smallest, order, offset, sizes)
        sizes[target] = sizes.get(target, 0) + sizes.pop(smallest)
        for original, current in moved.items():
            if current == smallest:
                moved[original] = target
        if smallest not in moved:
            moved[smallest] = target
    final = ids.map(lambda key: moved.get(key, key))
    changed = final != ids
    if changed.any():
        before = np.array(ids[changed].tolist(), dtype=np.float64)
        after = np.array(final[changed].tolist(), dtype=np.float64)
        index = out.index[changed.to_numpy()]
        for j, column in enumerate(columns):
            diff = before[:, offset + j] != after[:, offset + j]
            out.loc[index[diff], column] = after[diff, offset + j]
            counts[column] += int(diff.sum())
    risk = len(sizes) / rows
    return RiskReduced(out, counts, risk, risk <= limit)


def _fully(key: tuple[float, ...], offset: int) -> tuple[float, ...]:
    return key[:offset] + _fully_suppressed(key[offset:])


def _merge_target(
    key: tuple[float, ...],
    order: Sequence[int],
    offset: int,
    sizes: Mapping[tuple[float, ...], int],
) -> tuple[float, ...]:
    """Suppressing one value of `key` that lands it in an existing class, else all."""
    for j in order:
        value = key[offset + j]
        if value in (float(SUPPRESSED), float(NOT_ASKED)):
            continue
        candidate = (*key[: offset + j], float(SUPPRESSED), *key[offset + j + 1 :])
        if candidate in sizes:
            return candidate
    return _fully(key, offset)


def _class_ids(part: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    values = part[list(columns)].astype("float64").fillna(-999.0)
    return pd.Series(list(map(tuple, values.to_numpy().tolist())), index=part.index)
