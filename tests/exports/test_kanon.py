from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from exports.anonymise.kanon import (
    OTHER_LABEL,
    OTHER_PLACE_LABEL,
    SUPPRESSED,
    KAnonymityError,
    QuasiColumn,
    _thresholds,
    anonymise,
    band_numbers,
    common_places,
    ladder,
    merge_rare,
    removed,
)


def strictly_k_anonymous(frame: pd.DataFrame, columns, k: int, group=None) -> bool:
    """Independent check: count each released combination with plain Python."""
    counts: dict[tuple[object, ...], int] = {}
    keys = [*([group] if group else []), *columns]
    for row in frame[keys].itertuples(index=False):
        counts[tuple(row)] = counts.get(tuple(row), 0) + 1
    return all(n >= k for n in counts.values())


def test_band_numbers_bands_ages_top_codes_and_merges_thin_edges():
    ages = pd.Series([18, 19, 22, 23, 24, 31, 33, 34, 35, 36, 71, 80, 90, 66, 67, -2.0])

    coded, labels, _ = band_numbers(ages, 2, is_age=True)

    assert coded.tolist() == [15, 15, 20, 20, 20, 30, 30, 30, 35, 35, 70, 70, 70, 65, 65, -2]
    assert labels[70] == "70+"
    assert labels[20] == "20-24"


def test_merge_rare_merges_categories_below_k_into_one_code():
    coded, labels, note = merge_rare(
        pd.Series([1, 1, 1, 2, 2, 2, 3, 4, -4]), {1: "a", 2: "b", 3: "c", 4: "d"}, 3
    )

    assert coded.tolist() == [1, 1, 1, 2, 2, 2, 5, 5, -4]
    assert labels == {1: "a", 2: "b", 5: OTHER_LABEL}
    assert "c, d" in note


def test_common_places_keep_only_places_named_k_times():
    places = pd.Series(["Tbilisi", " tbilisi", "TBILISI ", "Uglich", -2.0])

    coded, labels, _ = common_places(places, 3)

    assert coded.tolist() == [1, 1, 1, 2, -2]
    assert labels == {1: "Tbilisi", 2: OTHER_PLACE_LABEL}


def _people(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "person": np.arange(rows),
            "wave": np.ones(rows),
            "age": rng.integers(18, 80, rows).astype(float),
            "sex": rng.integers(1, 3, rows).astype(float),
            "country": rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], rows, p=[0.5, 0.3, 0.15, 0.04, 0.01]),
        }
    )


COLUMNS = [
    QuasiColumn("age", "age"),
    QuasiColumn("sex", "category", {1: "m", 2: "f"}, is_sex=True),
    QuasiColumn("country", "category", {i: str(i) for i in range(1, 6)}),
]


@pytest.mark.parametrize("k", [2, 3, 5])
def test_anonymise_reaches_k_by_the_strict_definition(k):
    frame = _people(300)

    result = anonymise(frame, COLUMNS, k, person="person", wide=True)

    assert strictly_k_anonymous(result.frame, ["age", "sex", "country"], k)
    assert result.sizes.min() >= k
    recoded = pd.DataFrame(
        {c.name: ladder(frame[c.name], c, k)[result.levels[c.name]].coded for c in COLUMNS}
    )
    changed = (result.frame != recoded).sum()
    assert changed.to_dict() == result.suppressed
    assert ((result.frame == recoded) | (result.frame == SUPPRESSED)).all().all()


def test_anonymise_suppresses_sex_last_and_least():
    frame = _people(600)

    result = anonymise(frame, COLUMNS, 5, person="person", wide=True)

    assert result.suppressed["sex"] <= min(result.suppressed["age"], result.suppressed["country"])
    assert result.suppressed["sex"] / 600 <= 0.02


def test_anonymise_recodes_before_it_suppresses_much():
    # given ages so spread that 5-year bands leave most people unique with country and sex
    frame = _people(200, seed=3)

    result = anonymise(frame, COLUMNS, 10, person="person", wide=True)

    assert result.levels["age"] > 0 or result.levels["country"] > 0
    assert sum(result.suppressed.values()) / (3 * 200) < 0.2
    assert strictly_k_anonymous(result.frame, ["age", "sex", "country"], 10)


def test_anonymise_over_people_across_waves_in_the_long_layout():
    # given people in two waves whose country changes between waves for two of them
    frame = pd.DataFrame(
        {
            "person": [1, 1, 2, 2, 3, 3, 4, 5, 6],
            "wave": [1, 2, 1, 2, 1, 2, 1, 2, 2],
            "sex": [1.0] * 9,
            "country": [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 2.0],
        }
    )
    columns = [
        QuasiColumn("sex", "category", {1: "m"}, is_sex=True),
        QuasiColumn("country", "category", {1: "a", 2: "b"}),
    ]

    result = anonymise(frame, columns, 2, person="person", wide=False)

    released = pd.concat([frame[["person"]], result.frame], axis=1)
    signatures = released.groupby("person").apply(
        lambda rows: repr(sorted(set(map(tuple, rows[["sex", "country"]].to_numpy().tolist()))))
    )
    assert signatures.value_counts().min() >= 2
    assert (result.frame["sex"] == 1.0).all()


def test_anonymise_refuses_a_group_smaller_than_k():
    frame = pd.DataFrame({"person": [1, 2, 3], "wave": [1, 1, 2], "age": [20.0, 30.0, 40.0]})
    group = pd.Series([1, 1, 2], index=[1, 2, 3])

    with pytest.raises(KAnonymityError, match="pattern 2 has only 1 people"):
        anonymise(
            frame,
            [QuasiColumn("age", "age")],
            2,
            person="person",
            wide=True,
            group=group,
            describe_group=lambda code: f"pattern {code}",
        )


def test_anonymise_never_overwrites_not_asked_and_does_not_count_it():
    # given a wide layout: three people absent from wave 2 (-4 there)
    frame = pd.DataFrame(
        {
            "person": [1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3],
            "wave": [1.0] * 6 + [2.0] * 6,
            "age": [20.0, 30.0, 40.0, 20.0, 20.0, 30.0, 25.0, 25.0, 25.0, -4.0, -4.0, -4.0],
        }
    )
    group = pd.Series([1, 1, 1, 3, 3, 3], index=[1, 2, 3, 4, 5, 6])

    result = anonymise(
        frame, [QuasiColumn("age", "numeric")], 3, person="person", wide=True, group=group
    )

    assert result.frame["age"].tolist()[-3:] == [-4.0, -4.0, -4.0]
    assert result.sizes.min() >= 3
    assert int((result.frame["age"] == SUPPRESSED).sum()) == result.suppressed["age"]


def test_numeric_columns_are_recoded_as_the_same_values_held_as_objects():
    # a column of numbers takes a vectorised way; the same values as Python objects (an
    # imported column can be) take the per-value way: both must agree
    numbers = pd.Series([1950.0, 1961.0, np.nan, -4.0, 1988.0, 1950.0, 0.0, 2003.0])
    objects = numbers.astype(object)

    got, held = removed(numbers)[0], removed(objects)[0]
    assert got.astype("float64").tolist() == pytest.approx(
        held.astype("float64").tolist(), nan_ok=True
    )
    assert _thresholds(numbers, 2) == _thresholds(objects, 2)


def test_bands_of_a_fractional_width_start_at_their_integer_part():
    # values within 0-3: bands of a width under 1, whose starts are taken as integers
    values = pd.Series([0.1, 0.2, 0.7, 1.1, 1.3, 1.6, 2.2, 2.4, 2.9, 2.95, -1.0])

    coded, labels, _ = band_numbers(values, 1, is_age=False)

    assert coded.iloc[-1] == -1.0
    assert not coded.isna().any()
    assert set(coded[coded >= 0]) <= set(labels)
