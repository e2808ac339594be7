from __future__ import annotations

import pandas as pd

from exports import columns as col
from exports.items import ChoiceDef, Item, ItemVersion


def _item(relevant: str) -> tuple[Item, ItemVersion]:
    version = ItemVersion(
        version_id=1, type="integer", labels={"en": "Q"}, relevant=relevant, choices=(),
        other_choice="", harmonise="", extra={},
    )  # fmt: skip
    return Item(name="q", type="integer", privacy="", versions={1: version}), version


def _group(rows: list[dict[str, object]], abandoned: list[bool] | None = None) -> col.Group:
    index = list(range(len(rows)))
    return col.Group(
        raw=pd.DataFrame.from_records(rows, index=index).astype("object"),
        abandoned=pd.Series(abandoned or [False] * len(rows), index=index),
    )


def test_an_empty_answer_is_not_applicable_only_where_the_condition_hides_the_item():
    # page condition with `or`, item condition: both must hold (parenthesised)
    item, version = _item("(${a} = '1' or ${a} = '2') and (${b} = 'x')")
    group = _group(
        [
            {"a": "1", "b": "x", "q": 5},
            {"a": "2", "b": "x", "q": None},
            {"a": "3", "b": "x", "q": None},
            {"a": "1", "b": "y", "q": None},
            {"a": "1", "b": "x", "q": None},
        ],
        abandoned=[False, False, False, False, True],
    )

    values = col.numeric(item, version, group)

    assert values.tolist() == [5.0, -2.0, -3.0, -3.0, -5.0]
    assert len(group.relevance) == 1


def test_a_condition_that_cannot_be_evaluated_counts_as_shown():
    item, version = _item("${a} = ")
    group = _group([{"a": "1", "q": None}])

    assert col.numeric(item, version, group).tolist() == [-2.0]


def test_a_select_multiple_answer_is_read_as_a_list_by_selected():
    item, version = _item("selected(${m}, 'tv')")
    group = _group([{"m": ["tv", "web"], "q": None}, {"m": ["web"], "q": None}])

    assert col.numeric(item, version, group).tolist() == [-2.0, -3.0]


def test_single_choices_are_coded_by_name_by_number_text_or_as_technical_missing():
    version = ItemVersion(
        version_id=1, type="select_one", labels={"en": "Q"}, relevant="",
        choices=(ChoiceDef(name="1", code=1, labels={}), ChoiceDef(name="dk", code=-1, labels={})),
        other_choice="", harmonise="", extra={},
    )  # fmt: skip
    item = Item(name="q", type="select_one", privacy="", versions={1: version})
    # a name; the same code stored as a number (an imported file); "don't know"; a code the
    # version does not have; nothing; nothing in a break-off
    group = _group(
        [{"q": "1"}, {"q": 1}, {"q": "dk"}, {"q": "7"}, {"q": ""}, {"q": None}],
        abandoned=[False, False, False, False, False, True],
    )

    values = col.single_choice(item, version, group)

    assert values.tolist() == [1.0, 1.0, -1.0, -5.0, -2.0, -5.0]
