from __future__ import annotations

import pandas as pd
import pytest

from exports.anonymise.kanon import (
    OTHER_LABEL,
    SUPPRESSED,
    KAnonymityError,
    QuasiColumn,
    band_numbers,
    coarsen,
    common_places,
    merge_rare,
    reduce_global_risk,
    suppress_locally,
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

    assert coded.tolist() == [1, 1, 1, SUPPRESSED, -2]
    assert labels == {1: "Tbilisi"}


@pytest.mark.parametrize("k", [2, 3, 5])
def test_suppress_locally_reaches_k_by_the_strict_definition(k):
    frame = pd.DataFrame(
        {
            "wave": [1] * 12 + [2] * 8,
            "age": [20, 20, 25, 25, 25, 30, 35, 40, 40, 40, 45, 50, 20, 20, 20, 25, 25, 30, 30, 35],
            "sex": [1, 2, 1, 1, 1, 2, 2, 1, 1, 1, 2, 2, 1, 1, 2, 1, 1, 2, 2, 1],
        },
        dtype="float64",
    )

    result = suppress_locally(frame, ["age", "sex"], k, group="wave")

    assert strictly_k_anonymous(result.frame, ["age", "sex"], k, group="wave")
    changed = (result.frame[["age", "sex"]] != frame[["age", "sex"]]).sum()
    assert changed.to_dict() == result.counts
    assert ((result.frame == frame) | (result.frame == SUPPRESSED)).all().all()


def test_suppress_locally_refuses_a_group_smaller_than_k():
    frame = pd.DataFrame({"wave": [1, 1, 2], "age": [20.0, 30.0, 40.0]})

    with pytest.raises(KAnonymityError, match="wave 2 has only 1 rows"):
        suppress_locally(frame, ["age"], 2, group="wave")


def test_coarsen_then_suppress_on_a_mixed_frame():
    frame = pd.DataFrame(
        {
            "age": [19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63],
            "city": ["Riga"] * 6 + ["Oslo"] * 5 + ["Uglich"],
            "sex": [1, 2] * 6,
        }
    )
    columns = [
        QuasiColumn("age", "age"),
        QuasiColumn("city", "place"),
        QuasiColumn("sex", "category", {1: "m", 2: "f"}),
    ]

    coarsened = coarsen(frame, columns, 3)
    result = suppress_locally(coarsened.frame, ["age", "city", "sex"], 3)

    assert coarsened.value_labels["city"] == {1: "Oslo", 2: "Riga"}
    assert strictly_k_anonymous(result.frame, ["age", "city", "sex"], 3)


def test_suppress_locally_never_overwrites_not_asked_and_does_not_count_it():
    # given a wide frame: three people absent from wave 2 (-4), k impossible without
    # suppressing their wave-1 ages
    frame = pd.DataFrame(
        {
            "pattern": [1.0] * 3 + [3.0] * 3,
            "age_w1": [20.0, 30.0, 40.0, 20.0, 20.0, 30.0],
            "age_w2": [-4.0, -4.0, -4.0, 25.0, 25.0, 25.0],
        }
    )

    result = suppress_locally(frame, ["age_w1", "age_w2"], 3, group="pattern")

    assert result.frame["age_w2"].tolist()[:3] == [-4.0, -4.0, -4.0]
    assert result.counts == {"age_w1": 6, "age_w2": 0}
    assert strictly_k_anonymous(result.frame, ["age_w1", "age_w2"], 3, group="pattern")


def test_reduce_global_risk_suppresses_until_er_over_n_is_within_the_limit():
    # given 400 rows in 40 classes of 10: ER/n = 0.1
    frame = pd.DataFrame(
        {
            "age": [float(i % 20) for i in range(400)],
            "sex": [float(i % 40 // 20) for i in range(400)],
        }
    )

    result = reduce_global_risk(frame, ["age", "sex"], 0.01)

    sizes = result.frame.groupby(["age", "sex"]).size()
    assert len(sizes) / 400 <= 0.01
    assert result.within_limit is True
    assert result.global_risk == len(sizes) / 400
    assert strictly_k_anonymous(result.frame, ["age", "sex"], 10)
    assert ((result.frame == frame) | (result.frame == SUPPRESSED)).all().all()
    assert result.counts == (result.frame != frame).sum().to_dict()


def test_reduce_global_risk_says_when_the_limit_cannot_be_reached():
    frame = pd.DataFrame(
        {"wave": [1.0] * 10 + [2.0] * 10, "age": [float(i % 2) for i in range(20)]}
    )

    result = reduce_global_risk(frame, ["age"], 0.01, group="wave")

    assert result.within_limit is False
    assert result.global_risk == 2 / 20
    assert set(result.frame["age"]) == {float(SUPPRESSED)}
