"""Version diff (no database)."""

from dataclasses import replace

import pytest

from surveys.diff import ItemTypeChangedError, diff_forms
from surveys.formspec import FormSpec
from surveys.itembank import ITEM_BANK_PATH, concept_reference, read_item_bank
from surveys.xlsform import read_xlsform
from tests.surveys.forms import write_form


@pytest.fixture
def form(tmp_path) -> FormSpec:
    return read_xlsform(write_form(tmp_path / "panel.xlsx"))


def _with_question(form: FormSpec, name: str, **changes) -> FormSpec:
    pages = tuple(
        replace(
            page,
            questions=tuple(replace(q, **changes) if q.name == name else q for q in page.questions),
        )
        for page in form.pages
    )
    return replace(form, pages=pages)


def test_identical_versions_have_no_differences(form):
    assert diff_forms(form, form).is_empty


def test_changed_wording_is_listed_per_language_and_the_translation_marked_stale(form):
    new = _with_question(form, "age", labels={"en": "Your age", "ru": "Возраст"})
    diff = diff_forms(form, new)
    assert [(c.name, [(f.field, f.old, f.new) for f in c.changes]) for c in diff.changed] == [
        ("age", [("labels.en", "Age", "Your age")])
    ]
    assert diff.changed[0].stale_translations == ("ru",)
    assert diff.warnings == ("item 'age': the ru label did not change although the en label did",)


def test_logic_and_choice_changes_are_listed(form):
    trust = form.choice_list("trust")
    changed_list = replace(
        trust,
        choices=(
            replace(trust.choices[0], labels={"en": "Trust", "ru": "Можно доверять"}),
            trust.choices[1],
        ),
    )
    new = replace(
        _with_question(form, "trust_people", relevant="${age} >= 21"),
        choice_lists=tuple(changed_list if cl.name == "trust" else cl for cl in form.choice_lists),
    )
    change = diff_forms(form, new).changed[0]
    assert change.name == "trust_people"
    assert [f.field for f in change.changes] == ["relevant", "choices.1.labels.en"]


def test_added_and_removed_items(form):
    _first, *rest = form.pages
    new = replace(form, pages=tuple(rest))
    diff = diff_forms(form, new)
    assert diff.removed == ("age", "trust_people")
    assert diff_forms(new, form).added == ("age", "trust_people")


def test_changed_type_under_the_same_name_is_refused(form):
    new = _with_question(form, "age", type="decimal")
    with pytest.raises(
        ItemTypeChangedError, match="item 'age' changed type from integer to decimal"
    ):
        diff_forms(form, new)


def test_harmonised_item_drifting_from_the_item_bank_is_warned(form):
    bank = {c.key: concept_reference(c.key, c.definition) for c in read_item_bank(ITEM_BANK_PATH)}
    diff = diff_forms(form, form, item_bank=bank)
    # The form words trust_people in its own way; its codes 1, 2 are the WVS scale.
    assert diff.warnings == (
        "item 'trust_people' (harmonised as 'trust_people'): English wording differs from the "
        "ess, wvs7 reference",
    )
    reference = bank["trust_people"].wordings["wvs7"]
    exact = _with_question(form, "trust_people", labels={"en": reference, "ru": "x"})
    assert diff_forms(exact, exact, item_bank=bank).warnings == ()
    trust = form.choice_list("trust")
    bad_scale = replace(
        exact,
        choice_lists=tuple(
            replace(cl, choices=(replace(trust.choices[0], code=12), trust.choices[1]))
            if cl.name == "trust"
            else cl
            for cl in exact.choice_lists
        ),
    )
    assert diff_forms(exact, bad_scale, item_bank=bank).warnings == (
        "item 'trust_people' (harmonised as 'trust_people'): choice codes [2, 12] match no "
        "reference scale (ess, wvs7)",
    )
