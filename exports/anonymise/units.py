"""Local suppression over people: the engine behind the export's k-anonymity.

The unit of k-anonymity is a person (docs/methods.md 5.6). A person's key is the set of
their rows' released quasi-identifier values:
- wide layout: each row's values together with its wave (the columns say which wave a
  value belongs to), checked within the group of people who took part in the same waves;
- long layout: the set of distinct value combinations over the person's rows, without the
  wave (the pid joins a person's rows, but which waves someone took part in is not a key
  variable); "not asked" (-4) follows from the wave, so it counts as suppressed here.
A suppression removes one quasi-identifier of one person, in all their rows. A suppressed
value counts as its own value (sdcMicro's alpha = 0), so k holds in the strict sense.

Order of suppression: least important quasi-identifier first (sex and age last, docs/
methods.md 5.6), only in the people whose class is still smaller than k; then the people
left unsafe (every value suppressed) are topped up to k from classes that can spare a
person; then every suppressed value whose restoration keeps k is restored, most important
quasi-identifier first, so the suppressions left are the ones k needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

SUPPRESSED = -6.0
NOT_ASKED = -4.0
NaN_KEY = -999.0

ERROR_TOO_FEW = (
    "k-anonymity with k={k} is impossible: {group} has only {people} people; choose a "
    "smaller k or more waves"
)


class KAnonymityError(ValueError):
    """k cannot be reached (a group has fewer than k people)."""


@dataclass
class People:
    """The rows of an export's quasi-identifiers and the person each belongs to."""

    values: dict[str, np.ndarray]  # column -> float values per row
    person: np.ndarray  # row -> person index 0..n-1, each index with at least one row
    wave: np.ndarray  # row -> wave number
    group: np.ndarray | None  # person -> group code (wide layout), else None
    with_wave: bool  # wide layout: the wave is part of a row's key

    @property
    def count(self) -> int:
        return int(self.person.max()) + 1 if len(self.person) else 0

    @cached_property
    def rank(self) -> np.ndarray:
        """Row -> its place among its person's rows (0, 1, ...), in row order."""
        order = np.argsort(self.person, kind="stable")
        ordered = self.person[order]
        places = np.empty(len(order), dtype=np.int64)
        places[order] = np.arange(len(order)) - np.searchsorted(ordered, ordered, side="left")
        return places

    @cached_property
    def width(self) -> int:
        """The most rows any person has."""
        return int(self.rank.max(initial=0)) + 1


@dataclass
class Outcome:
    values: dict[str, np.ndarray]
    # Column -> rows whose value was suppressed.
    suppressed: dict[str, int]
    # Person -> size of their class.
    sizes: np.ndarray


def person_keys(people: People, values: dict[str, np.ndarray]) -> np.ndarray:
    """An integer key per person: equal keys = people nobody can tell apart."""
    rows = len(people.person)
    key = np.zeros(rows, dtype=np.int64)
    columns = [people.wave.astype(np.float64)] if people.with_wave else []
    for name in values:
        column = np.nan_to_num(values[name], nan=NaN_KEY)
        if not people.with_wave:
            column = np.where(column == NOT_ASKED, SUPPRESSED, column)
        columns.append(column)
    for column in columns:
        key = _combine(key, pd.factorize(column)[0])
    if rows == people.count:
        # One row each (persons are numbered 0..n-1, each with a row): the row's key is
        # the person's, as the general way below would find, without sorting the pairs.
        per_person = np.empty(people.count, dtype=np.int64)
        per_person[people.person] = key
        if people.group is not None:
            per_person = _combine(per_person, people.group.astype(np.int64))
        return per_person
    # The set of a person's row keys, as a matrix of their sorted distinct keys padded
    # with -1, then one integer per distinct matrix row. Each row has its place in the
    # matrix already (People.rank), so this sorts a few keys per person, not every pair.
    matrix = np.full((people.count, people.width), -1, dtype=np.int64)
    matrix[people.person, people.rank] = key
    matrix.sort(axis=1)
    repeated = np.zeros(matrix.shape, dtype=bool)
    repeated[:, 1:] = (matrix[:, 1:] == matrix[:, :-1]) & (matrix[:, 1:] >= 0)
    if repeated.any():
        matrix[repeated] = -1
        matrix.sort(axis=1)
    per_person = np.zeros(people.count, dtype=np.int64)
    for column in matrix.T:
        per_person = _combine(per_person, column + 1)
    if people.group is not None:
        per_person = _combine(per_person, people.group.astype(np.int64))
    return per_person


def _combine(key: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Dense integer codes of the pairs (key, codes), both non-negative integers."""
    codes = np.asarray(codes, dtype=np.int64)
    combined = key * (int(codes.max(initial=0)) + 1) + codes
    return np.asarray(pd.factorize(combined)[0], dtype=np.int64)


def class_sizes(keys: np.ndarray) -> np.ndarray:
    return np.bincount(keys)[keys] if len(keys) else np.zeros(0, dtype=np.int64)


def refuse_small_groups(people: People, k: int, describe: Callable[[int], str]) -> None:
    if people.group is None:
        if 0 < people.count < k:
            raise KAnonymityError(
                ERROR_TOO_FEW.format(k=k, group="the export", people=people.count)
            )
        return
    codes, counts = np.unique(people.group, return_counts=True)
    for code, count in zip(codes, counts, strict=True):
        if count < k:
            message = ERROR_TOO_FEW.format(k=k, group=describe(int(code)), people=int(count))
            raise KAnonymityError(message)


def suppress(people: People, order: Sequence[str], k: int, *, restore: bool = True) -> Outcome:
    """k-anonymity by local suppression; `order` lists the columns least important first."""
    values = {name: array.copy() for name, array in people.values.items()}
    counts = dict.fromkeys(values, 0)
    # First, one value per unsafe person where that alone makes them safe, least
    # important quasi-identifier first; then, for the people still unsafe, value after
    # value in the same order.
    for name in order:
        unsafe = class_sizes(person_keys(people, values)) < k
        if not unsafe.any():
            break
        trial = {**values, name: values[name].copy()}
        _suppress_cells(trial[name], unsafe[people.person])
        helped = unsafe & (class_sizes(person_keys(people, trial)) >= k)
        counts[name] += _suppress_cells(values[name], helped[people.person])
    for name in order:
        unsafe = class_sizes(person_keys(people, values)) < k
        if not unsafe.any():
            break
        counts[name] += _suppress_cells(values[name], unsafe[people.person])
    _top_up(people, values, counts, k)
    if restore:
        _restore(people, values, counts, order, k)
    sizes = class_sizes(person_keys(people, values))
    return Outcome(values=values, suppressed=counts, sizes=sizes)


def _suppress_cells(column: np.ndarray, rows: np.ndarray) -> int:
    change = rows & (column != SUPPRESSED) & (column != NOT_ASKED)
    column[change] = SUPPRESSED
    return int(change.sum())


def _top_up(people: People, values: dict[str, np.ndarray], counts: dict[str, int], k: int) -> None:
    """The people left unsafe have every value suppressed; if fewer than k share that
    (within their group), move people into it from classes that can spare one, else whole
    classes, smallest first."""
    keys = person_keys(people, values)
    # Each round fills one short class (or folds whole classes in): at most one per person.
    for _ in range(people.count):
        sizes = class_sizes(keys)
        if not (sizes < k).any():
            return
        short_key = int(keys[np.argmax(sizes < k)])
        members = np.flatnonzero(keys == short_key)
        short = k - len(members)
        group = people.group[members[0]] if people.group is not None else None
        eligible = np.ones(people.count, dtype=bool) if group is None else people.group == group
        eligible &= keys != short_key
        candidates = np.flatnonzero(eligible)
        class_size = Counter(keys[candidates].tolist())
        spare = {key: size - k for key, size in class_size.items() if size > k}
        donors: list[int] = []
        for person in candidates:
            key = int(keys[person])
            if len(donors) < short and spare.get(key, 0) > 0:
                donors.append(int(person))
                spare[key] -= 1
        if len(donors) < short:
            donors = []
            for key, _ in sorted(class_size.items(), key=lambda item: (item[1], item[0])):
                donors.extend(candidates[keys[candidates] == key].tolist())
                if len(donors) >= short:
                    break
        chosen = np.zeros(people.count, dtype=bool)
        chosen[donors] = True
        for name in values:
            counts[name] += _suppress_cells(values[name], chosen[people.person])
        keys = person_keys(people, values)


def _restore(
    people: People,
    values: dict[str, np.ndarray],
    counts: dict[str, int],
    order: Sequence[str],
    k: int,
) -> None:
    """Give back each suppressed value whose return leaves every class with >= k people."""
    order_rows = np.argsort(people.person, kind="stable")
    bounds = np.searchsorted(people.person[order_rows], np.arange(people.count + 1))
    names = list(values)

    def rows_of(person: int) -> np.ndarray:
        return order_rows[bounds[person] : bounds[person + 1]]

    def key_of(person: int) -> tuple[object, ...]:
        rows = rows_of(person)
        parts = set()
        for r in rows:
            cells = tuple(
                _key_value(float(values[n][r]), with_wave=people.with_wave) for n in names
            )
            parts.add((float(people.wave[r]), *cells) if people.with_wave else cells)
        group = int(people.group[person]) if people.group is not None else None
        return (group, frozenset(parts))

    # Every person's key in the form key_of gives, worked out once per class (people
    # nobody can tell apart share it), not once per person: a class of the integer keys
    # is the set of people whose key_of is equal.
    _, first, position, members = np.unique(
        person_keys(people, values), return_index=True, return_inverse=True, return_counts=True
    )
    key_of_class = [key_of(int(p)) for p in first]
    current = [key_of_class[c] for c in position.tolist()]
    sizes = Counter(dict(zip(key_of_class, members.tolist(), strict=True)))
    original = people.values
    for name in reversed(list(order)):
        changed_rows = np.flatnonzero(values[name] != original[name])
        for person in pd.unique(people.person[changed_rows]):
            person = int(person)
            rows = rows_of(person)
            before = values[name][rows].copy()
            values[name][rows] = original[name][rows]
            key = key_of(person)
            old = current[person]
            leaves = sizes[old] - 1
            if (leaves == 0 or leaves >= k) and sizes.get(key, 0) + 1 >= k:
                sizes[old] -= 1
                sizes[key] += 1
                current[person] = key
                counts[name] -= int((before != original[name][rows]).sum())
            else:
                values[name][rows] = before


def _key_value(value: float, *, with_wave: bool) -> float:
    if np.isnan(value):
        return NaN_KEY
    if not with_wave and value == NOT_ASKED:
        return SUPPRESSED
    return value
