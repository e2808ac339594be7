"""k-anonymity for quasi-identifiers: global recoding first, then local suppression.

Rule (docs/methods.md 5.2 "global recoding first, then local suppression", 5.6 steps 3-4):
1. Each quasi-identifier has a ladder of recodings, from the default to the coarsest:
   - age: 5-year bands top-coded at 70+, then 10-year, then 20-year bands; other numbers:
     bands of a round width, then 2x and 5x wider; edge bands with fewer than k rows
     are merged inward;
   - categories: codes held by fewer than k rows merged into one "other" code, then those
     with fewer than 5k, then 25k; countries (choice names that are ISO 3166 codes) are
     merged by region instead (exports/anonymise/regions.py, UN M49): rare countries into
     their sub-region ("Western Asia"), a sub-region with too few rows or a single country
     into its continent, only then into "other"; then every country as its sub-region,
     then as its continent;
   - free-text places (cities): places named by at least k rows kept, the rarer ones merged
     into "a national capital" and "another place" (exports/anonymise/capitals.py), then
     5k, 25k; then every place as capital / another place only;
   - dates: year and quarter, then year;
   and, last, one code for every answer.
2. Among the recodings, the one that loses least is chosen (a greedy walk up the lattice
   of levels, as ARX searches it): loss = sum over the quasi-identifiers of importance x
   (the share of information the recoding removes, 1 - H(recoded) / H(default), plus the
   share of rows whose value local suppression then removes). Importance: sex 4, age 3,
   other categories 2, places, numbers and dates 1 (sex and age are what every analysis
   needs; docs/methods.md 5.6 suppresses them last).
3. Local suppression of that recoding over people (exports/anonymise/units.py): least
   important first, fewest cells, then every suppression k does not need is undone.
A suppressed value is released as SUPPRESSED (-6, docs/methods.md 7.6) and counts as its
own value; missing codes count as values too (strict k-anonymity, sdcMicro's alpha = 0).
Values here are numbers: codes and negative missing codes (< 0 is never recoded).
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

from exports.anonymise.capitals import is_capital
from exports.anonymise.geography import (
    LEVELS,
    capital_or_other,
    countries_as,
    generalisation,
    merge_by_region,
)
from exports.anonymise.recode_texts import (
    ALL_LABEL,
    CAPITALS_LABEL,
    NOTE_BANDS,
    NOTE_LEVEL,
    NOTE_MERGED,
    NOTE_NONE_MERGED,
    NOTE_PLACES,
    NOTE_QUARTERS,
    NOTE_REMOVED,
    NOTE_TOP,
    NOTE_YEARS,
    OR_LESS,
    OTHER_LABEL,
    OTHER_PLACE_LABEL,
)
from exports.anonymise.regions import is_country_list
from exports.anonymise.units import KAnonymityError, Outcome, People, refuse_small_groups, suppress
from exports.dataset import Phrase

SUPPRESSED = -6
NOT_ASKED = -4
AGE_BAND = 5
AGE_TOP_CODE = 70
# Values above this are not ages (years of birth, incomes): banded generically.
AGE_MAX_PLAUSIBLE = 120
TARGET_BANDS = 10
ALL_CODE = 0
# Widening factors of the number bands and thresholds (in multiples of k) of the merges.
WIDEN = (1, 2, 4)
THRESHOLDS = (1, 5, 25)
SHARES = (0.01, 0.03, 0.1)
# The largest share of a quasi-identifier's answers local suppression may remove before a
# coarser recoding is preferred (ARX's suppression limit, per variable): sex 1%, age and
# categories such as country 5%; places, numbers and dates have none (they are recoded
# only when that loses less). A recoding over a limit is still chosen when none keeps it.
SUPPRESSION_LIMIT = {"sex": 0.01, "age": 0.05, "category": 0.05}
OVER_LIMIT_PENALTY = 20.0
IMPORTANCE = {"sex": 4, "age": 3, "category": 2, "place": 1, "numeric": 1, "date": 1}
# Search steps before the walk stops (a lattice of 4 levels per quasi-identifier).
MAX_STEPS = 40
# Steps the walk goes on past the best recoding seen before it stops.
PATIENCE = 3

QuasiKind = Literal["age", "numeric", "category", "place", "date"]

__all__ = ["ALL_LABEL", "OTHER_LABEL", "OTHER_PLACE_LABEL", "KAnonymityError"]


@dataclass(frozen=True)
class QuasiColumn:
    name: str
    kind: QuasiKind
    # Code -> label before coarsening (categories).
    labels: Mapping[int, str] = field(default_factory=dict)
    # Sex (or gender): suppressed and recoded last of all.
    is_sex: bool = False
    # Code -> XLSForm choice name (categories whose names are not their codes): ISO
    # country codes make the column a country, merged by region.
    names: Mapping[int, str] = field(default_factory=dict)

    @property
    def importance(self) -> int:
        return IMPORTANCE["sex"] if self.is_sex else IMPORTANCE[self.kind]

    @property
    def suppression_limit(self) -> float:
        return SUPPRESSION_LIMIT.get("sex" if self.is_sex else self.kind, 1.0)


@dataclass(frozen=True)
class Recoding:
    coded: pd.Series
    labels: dict[int, str]
    note: str
    # Share of the default recoding's information it removes (0 for the default).
    loss: float


@dataclass
class Anonymised:
    # Released values per quasi-identifier, on the input's index.
    frame: pd.DataFrame
    value_labels: dict[str, dict[int, str]]
    notes: dict[str, list[str]]
    # Column -> rows whose value local suppression removed.
    suppressed: dict[str, int]
    # Column -> rows holding an answer (what the suppressed share is a share of).
    answered: dict[str, int]
    # Column -> the recoding level chosen (0 = the default).
    levels: dict[str, int]
    # Person -> how many people share their released values.
    sizes: np.ndarray
    # Column -> how places or countries were generalised, where they were (GENERALISED).
    generalised: dict[str, str] = field(default_factory=dict)


def ladder(series: pd.Series, column: QuasiColumn, k: int) -> list[Recoding]:
    """The recodings of one quasi-identifier, default first, coarsest last."""
    steps: list[tuple[pd.Series, dict[int, str], str]] = []
    if column.kind in ("age", "numeric"):
        is_age = column.kind == "age"
        steps = [band_numbers(series, k, is_age=is_age, widen=w) for w in WIDEN]
    elif column.kind == "place":
        steps = [common_places(series, t) for t in _thresholds(series, k)]
    elif column.kind == "date":
        steps = [quarters(series), quarters(series, years=True)]
    elif column.kind == "category" and is_country_list(dict(column.names)):
        names = dict(column.names)
        steps = [merge_by_region(series, column.labels, names, t) for t in _thresholds(series, k)]
        steps += [countries_as(series, column.labels, names, k, level) for level in LEVELS]
    else:
        steps = [merge_rare(series, column.labels, t) for t in _thresholds(series, k)]
    if column.kind == "place":
        steps.append(capital_or_other(series))
    steps.append(removed(series))
    base = _entropy(steps[0][0])
    out: list[Recoding] = []
    seen: set[int] = set()
    for index, (coded, labels, note) in enumerate(steps):
        distinct = int(coded[coded >= 0].nunique())
        last = index == len(steps) - 1
        if index > 0 and (distinct in seen or (distinct <= 1 and not last)):
            # A threshold that merges nothing more is not a new level, and one that
            # merges everything is the last level, removal.
            continue
        seen.add(distinct)
        loss = 1.0 - _entropy(coded) / base if base > 0 else 0.0
        out.append(Recoding(coded, labels, note, max(0.0, loss)))
    return out


def _thresholds(series: pd.Series, k: int) -> list[int]:
    """Merge thresholds in rows: multiples of k, and shares of the rows answered."""
    if _is_numeric(series):
        answered = int((series >= 0).sum())
    else:
        answered = int(series.map(lambda v: isinstance(v, str) or (v == v and v >= 0)).sum())
    shares = [math.ceil(answered * share) for share in SHARES]
    return sorted({k * t for t in THRESHOLDS} | {t for t in shares if t > k})


def _is_numeric(series: pd.Series) -> bool:
    """A column of numbers (codes, ages): no value is text, which is then known without
    asking each of them (a Python call per row)."""
    return series.dtype.kind in "fiub"


def _entropy(coded: pd.Series) -> float:
    valid = coded[coded >= 0]
    if valid.empty:
        return 0.0
    shares = valid.value_counts(normalize=True).to_numpy(dtype=np.float64)
    return float(-(shares * np.log(shares)).sum())


def anonymise(
    frame: pd.DataFrame,
    columns: Sequence[QuasiColumn],
    k: int,
    *,
    person: str,
    wide: bool,
    group: pd.Series | None = None,
    describe_group: Callable[[int], str] | None = None,
) -> Anonymised:
    """Recode and suppress `frame`'s quasi-identifier columns (one row per response, with
    the person and the wave) until every person shares their released values with at
    least k - 1 others (see exports/anonymise/units.py for what a person's values are).
    `group` (wide layout: the pattern of waves taken part in) maps a person to a group
    within which k is checked."""
    persons, uniques = pd.factorize(frame[person])
    people_group = None
    if group is not None:
        people_group = group.reindex(uniques).to_numpy(dtype=np.int64)
    people = People(
        values={},
        person=np.asarray(persons, dtype=np.int64),
        wave=frame["wave"].to_numpy(dtype=np.float64),
        group=people_group,
        with_wave=wide,
    )
    refuse_small_groups(people, k, describe_group or (lambda code: f"group {code}"))
    ladders = {c.name: ladder(frame[c.name], c, k) for c in columns}
    order = [c.name for c in sorted(columns, key=lambda c: (c.importance, c.name))]
    weights = {c.name: c.importance for c in columns}
    limits = {c.name: c.suppression_limit for c in columns}
    answered = {c.name: int((ladders[c.name][0].coded >= 0).sum()) or 1 for c in columns}

    def evaluate(levels: dict[str, int]) -> tuple[float, Outcome]:
        people.values = {
            name: ladders[name][level].coded.to_numpy(dtype=np.float64)
            for name, level in levels.items()
        }
        # The restoring pass only gives back; ranking recodings without it is 3x faster.
        outcome = suppress(people, order, k, restore=False)
        loss = 0.0
        for name, level in levels.items():
            share = outcome.suppressed[name] / answered[name]
            loss += weights[name] * (ladders[name][level].loss + share)
            loss += OVER_LIMIT_PENALTY * max(0.0, share - limits[name])
        return loss, outcome

    levels = {c.name: 0 for c in columns}
    best, _ = evaluate(levels)
    chosen = dict(levels)
    # Walk up the lattice along the cheapest step, past steps that do not pay off at once
    # (two recodings together can reach k where each alone cannot), keeping the best seen.
    patience = PATIENCE
    for _ in range(MAX_STEPS):
        trials = []
        for name in order:
            if levels[name] + 1 < len(ladders[name]):
                trial = {**levels, name: levels[name] + 1}
                trials.append((evaluate(trial)[0], trial))
        if not trials:
            break
        loss, levels = min(trials, key=lambda t: t[0])
        if loss < best:
            best, chosen, patience = loss, dict(levels), PATIENCE
        else:
            patience -= 1
            if patience == 0:
                break
    levels = chosen
    people.values = {
        name: ladders[name][level].coded.to_numpy(dtype=np.float64)
        for name, level in levels.items()
    }
    outcome = suppress(people, order, k)
    released = pd.DataFrame(
        {name: outcome.values[name] for name in levels}, index=frame.index, dtype="float64"
    )
    notes = {
        name: [ladders[name][level].note, *_level_note(level, len(ladders[name]))]
        for name, level in levels.items()
    }
    return Anonymised(
        frame=released,
        value_labels={name: ladders[name][level].labels for name, level in levels.items()},
        notes=notes,
        suppressed=outcome.suppressed,
        answered=answered,
        levels=levels,
        sizes=outcome.sizes,
        generalised={
            name: rule
            for name, level in levels.items()
            if (rule := generalisation(ladders[name][level].note))
        },
    )


def _level_note(level: int, levels: int) -> list[str]:
    if level == 0:
        return []
    return [Phrase(NOTE_LEVEL, level=level, levels=levels - 1)]


def band_numbers(
    series: pd.Series, k: int, *, is_age: bool, widen: int = 1
) -> tuple[pd.Series, dict[int, str], str]:
    """Bands of a round width (ages: 5 years, top-coded at 70+), `widen` times wider."""
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    valid = values >= 0
    if is_age and values[valid].max(skipna=True) > AGE_MAX_PLAUSIBLE:
        is_age = False
    width = (AGE_BAND if is_age else _round_width(values[valid])) * widen
    top_code = AGE_TOP_CODE // width * width
    # np.floor, not math.floor: an answer that is not a number (an import, a type changed
    # between versions) is NaN here, and math.floor(NaN) raises.
    lower = (values / width).apply(np.floor) * width
    if is_age:
        lower = lower.where(lower < top_code, top_code)
    starts = sorted(int(v) for v in lower[valid].dropna().unique())
    counts = lower[valid].value_counts()
    merged = _merge_edges(starts, {int(s): int(counts.get(s, 0)) for s in starts}, k)
    code_of = {start: group[0] for group in merged for start in group}
    coded = values.copy()
    # int() as the starts were taken (a band of a fractional width starts at its integer
    # part); a dict, not a function, so pandas maps it without a call per row.
    coded[valid] = lower[valid].astype("int64").map(code_of).astype("float64")
    band_labels = {}
    for index, group in enumerate(merged):
        top_open = index == len(merged) - 1 and (is_age and group[-1] == top_code)
        last = group[-1] + width - (1 if width >= 1 else 0)
        if top_open or (index == len(merged) - 1 and len(group) > 1):
            band_labels[group[0]] = f"{group[0]}+"
        elif index == 0 and len(group) > 1:
            band_labels[group[0]] = Phrase(OR_LESS, value=_fmt(last))
        else:
            band_labels[group[0]] = f"{_fmt(group[0])}-{_fmt(last)}"
    top = Phrase(NOTE_TOP, age=_fmt(top_code)) if is_age else Phrase("")
    note = Phrase(NOTE_BANDS, width=_fmt(width), top=top, k=k)
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
    """Codes held by fewer than `k` rows (the threshold) merged into one "other" code."""
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    valid = values >= 0
    counts = values[valid].value_counts()
    rare = sorted(int(float(str(code))) for code, count in counts.items() if count < k)
    if len(rare) == 1 and len(counts) > 1:
        # One rare code merged alone would keep it recognisable: take the next rarest too.
        rare = sorted({*rare, int(float(str(counts[counts >= k].idxmin())))})
    kept = {code: label for code, label in labels.items() if code not in rare}
    coded = values.copy()
    if len(rare) >= 1:
        other = max([*labels.keys(), *(int(c) for c in counts.index)]) + 1
        coded[values.isin(rare)] = float(other)
        kept[other] = OTHER_LABEL
        merged = ", ".join(labels.get(code, str(code)) for code in rare)
        note = Phrase(NOTE_MERGED, k=k, code=other, merged=merged)
    else:
        note = Phrase(NOTE_NONE_MERGED, k=k)
    return coded, kept, note


def normalise_place(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().casefold()


def common_places(series: pd.Series, k: int) -> tuple[pd.Series, dict[int, str], str]:
    """Free-text places kept (as codes labelled with the place) when named by at least
    `k` rows (case and spacing ignored); rarer places merged into "a national capital"
    when they gather `k` rows or more, the rest into one "other place" code."""
    is_text = series.map(lambda v: isinstance(v, str) and bool(v.strip()))
    texts = series[is_text]
    keys = texts.map({t: normalise_place(t) for t in pd.unique(texts)})
    counts = keys.value_counts()
    common = sorted(str(key) for key, count in counts.items() if count >= k)
    shown = {key: series[is_text][keys == key].iloc[0].strip() for key in common}
    code_of = {key: code for code, key in enumerate(common, start=1)}
    other = len(common) + 1
    capital = len(common) + 2
    rare_capitals = {key for key in counts.index if key not in code_of and is_capital(str(key))}
    if sum(int(counts[key]) for key in rare_capitals) < k:
        rare_capitals = set()
    coded = pd.Series(np.nan, index=series.index, dtype="float64")
    coded[~is_text] = pd.to_numeric(series[~is_text], errors="coerce")
    coded[is_text] = keys.map(
        lambda key: float(code_of.get(key, capital if key in rare_capitals else other))
    )
    labels = {code: shown[key] for key, code in code_of.items()}
    merged = int(coded[is_text].isin([other, capital]).sum())
    if (coded[is_text] == other).any():
        labels[other] = OTHER_PLACE_LABEL
    if rare_capitals:
        labels[capital] = CAPITALS_LABEL
    note = Phrase(NOTE_PLACES, k=k, merged=merged, capital=capital, other=other)
    return coded, labels, note


def quarters(series: pd.Series, *, years: bool = False) -> tuple[pd.Series, dict[int, str], str]:
    def code(value: object) -> float:
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value[:10])
            except ValueError:
                return float(SUPPRESSED)
            return float(day.year if years else day.year * 10 + (day.month - 1) // 3 + 1)
        return float(value) if isinstance(value, int | float) else math.nan

    coded = series.map(code).astype("float64")
    if years:
        labels = {int(c): str(int(c)) for c in coded[coded > 0].unique()}
        return coded, labels, Phrase(NOTE_YEARS)
    labels = {int(c): f"{int(c) // 10}-Q{int(c) % 10}" for c in coded[coded > 0].unique()}
    return coded, labels, Phrase(NOTE_QUARTERS)


def removed(series: pd.Series) -> tuple[pd.Series, dict[int, str], str]:
    """The last recoding: every answer in one code (the variable then tells only whether
    it was answered)."""
    if _is_numeric(series):
        values = series.astype("float64")
        answered = values >= 0
    else:
        text = series.map(lambda v: isinstance(v, str))
        values = pd.to_numeric(series.where(~text), errors="coerce")
        answered = series.map(lambda v: isinstance(v, str) and bool(v.strip())) | (values >= 0)
    coded = values.astype("float64").where(~answered, float(ALL_CODE))
    return coded, {ALL_CODE: ALL_LABEL}, Phrase(NOTE_REMOVED)
