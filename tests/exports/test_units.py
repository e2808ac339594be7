"""The local-suppression engine's shortcuts give what the plain per-person definitions give:
a person's key is the set of their rows' values (exports/anonymise/units.py), and the
restoring pass gives back exactly what restoring person by person gives back."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from exports.anonymise import units
from exports.anonymise.units import NOT_ASKED, SUPPRESSED, People, person_keys, suppress


def _people(seed: int, persons: int, rows_each: int, *, wide: bool, grouped: bool) -> People:
    """`rows_each` 0: each person has 1 to 3 rows."""
    chance = np.random.default_rng(seed)
    each = chance.integers(1, 4, persons) if rows_each == 0 else np.full(persons, rows_each)
    rows = int(each.sum())
    person = np.repeat(np.arange(persons), each)
    chance.shuffle(person)
    values = {}
    for name, levels in (("age", 6), ("country", 4)):
        column = chance.integers(1, levels + 1, rows).astype(np.float64)
        column[chance.random(rows) < 0.05] = np.nan
        if not wide:
            # In the wide layout "not asked" fills a whole wave's column (an item its
            # version lacks), never suppressed: scattered, it would leave people unsafe.
            column[chance.random(rows) < 0.05] = NOT_ASKED
        column[chance.random(rows) < 0.05] = SUPPRESSED
        values[name] = column
    # Each person's rows are their waves 1, 2, ... (one row per person and wave).
    wave = np.zeros(rows)
    wave[np.argsort(person, kind="stable")] = np.concatenate([np.arange(1, n + 1) for n in each])
    return People(
        values=values,
        person=person.astype(np.int64),
        wave=wave,
        group=chance.integers(0, 2, persons).astype(np.int64) if grouped else None,
        with_wave=wide,
    )


def _row_key(people: People, row: int) -> tuple[float, ...]:
    cells = []
    for name in people.values:
        value = float(people.values[name][row])
        if np.isnan(value):
            value = units.NaN_KEY
        elif not people.with_wave and value == NOT_ASKED:
            value = SUPPRESSED
        cells.append(value)
    return (float(people.wave[row]), *cells) if people.with_wave else tuple(cells)


def _classes_by_definition(people: People) -> set[frozenset[int]]:
    """People grouped by (their group, the set of their rows' keys), in plain Python."""
    keys: dict[int, set[tuple[float, ...]]] = {}
    for row, person in enumerate(people.person.tolist()):
        keys.setdefault(person, set()).add(_row_key(people, row))
    classes: dict[object, set[int]] = {}
    for person, rows in keys.items():
        group = None if people.group is None else int(people.group[person])
        classes.setdefault((group, frozenset(rows)), set()).add(person)
    return {frozenset(members) for members in classes.values()}


def _classes(keys: np.ndarray) -> set[frozenset[int]]:
    found: dict[int, set[int]] = {}
    for person, key in enumerate(keys.tolist()):
        found.setdefault(key, set()).add(person)
    return {frozenset(members) for members in found.values()}


@pytest.mark.parametrize("rows_each", [1, 3, 0])
@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize("grouped", [False, True])
def test_person_keys_group_people_by_the_set_of_their_rows_values(rows_each, wide, grouped):
    people = _people(7, 400, rows_each, wide=wide, grouped=grouped)

    keys = person_keys(people, people.values)

    assert _classes(keys) == _classes_by_definition(people)


def _restore_person_by_person(people: People, values, counts, order, k) -> None:
    """The restoring pass as first written: every person's key worked out in Python."""

    def key_of(person: int) -> tuple[object, ...]:
        rows = np.flatnonzero(people.person == person)
        parts = set()
        for row in rows:
            view = People(values, people.person, people.wave, people.group, people.with_wave)
            parts.add(_row_key(view, int(row)))
        group = int(people.group[person]) if people.group is not None else None
        return (group, frozenset(parts))

    current = [key_of(p) for p in range(people.count)]
    sizes = Counter(current)
    original = people.values
    for name in reversed(list(order)):
        changed = np.flatnonzero(values[name] != original[name])
        for person in pd.unique(people.person[changed]):
            rows = np.flatnonzero(people.person == person)
            before = values[name][rows].copy()
            values[name][rows] = original[name][rows]
            key, old = key_of(int(person)), current[person]
            leaves = sizes[old] - 1
            if (leaves == 0 or leaves >= k) and sizes.get(key, 0) + 1 >= k:
                sizes[old] -= 1
                sizes[key] += 1
                current[person] = key
                counts[name] -= int((before != original[name][rows]).sum())
            else:
                values[name][rows] = before


@pytest.mark.parametrize("rows_each", [1, 2, 0])
@pytest.mark.parametrize("wide", [False, True])
def test_the_restoring_pass_gives_back_what_restoring_person_by_person_does(rows_each, wide):
    people = _people(11, 300, rows_each, wide=wide, grouped=False)
    order, k = ["country", "age"], 4
    suppressed = suppress(people, order, k, restore=False)
    ours = {name: column.copy() for name, column in suppressed.values.items()}
    theirs = {name: column.copy() for name, column in suppressed.values.items()}
    our_counts, their_counts = dict(suppressed.suppressed), dict(suppressed.suppressed)

    units._restore(people, ours, our_counts, order, k)
    _restore_person_by_person(people, theirs, their_counts, order, k)

    assert sum(suppressed.suppressed.values()) > sum(our_counts.values())
    for name in order:
        np.testing.assert_array_equal(ours[name], theirs[name])
    assert our_counts == their_counts
    assert units.class_sizes(person_keys(people, ours)).min() >= k
