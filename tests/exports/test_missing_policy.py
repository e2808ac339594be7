"""Which choices are reasons for a missing answer: the item's negative codes and its
concept's missing codes, unless the item bank makes "don't know" a substantive answer."""

from __future__ import annotations

from exports.catalogue import split_missing_choices
from exports.items import ChoiceDef, Item, ItemVersion


def _item() -> Item:
    choices = tuple(
        ChoiceDef(name=str(code), code=code, labels={"en": label})
        for code, label in ((1, "Yes"), (2, "No"), (-1, "Don't know"), (88, "Refusal (ESS)"))
    )
    version = ItemVersion(
        version_id=1, type="select_one", labels={"en": "Q"}, relevant="", choices=choices,
        other_choice="", harmonise="c", extra={},
    )  # fmt: skip
    return Item(name="q", type="select_one", privacy="", versions={1: version})


def test_dont_know_and_a_concepts_missing_codes_are_missing_reasons():
    labels, missing = split_missing_choices(_item(), "en", {"ess": {"missing_codes": [88]}})

    assert labels == {1: "Yes", 2: "No"}
    assert missing == {-1: "Don't know", 88: "Refusal (ESS)"}


def test_the_item_bank_can_make_dont_know_a_substantive_answer():
    definition = {"dont_know_substantive": True, "ess": {"missing_codes": [88]}}

    labels, missing = split_missing_choices(_item(), "en", definition)

    assert labels == {1: "Yes", 2: "No", -1: "Don't know"}
    assert missing == {88: "Refusal (ESS)"}
