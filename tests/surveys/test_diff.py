# ruff: noqa: RUF001  (Russian labels are meant to be Cyrillic)
"""Version diff (no database)."""

from dataclasses import replace

import pytest

from surveys.diff import ItemTypeChangedError, diff_forms
from surveys.formspec import ChoiceSpec, FormSpec, MetadataField
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
    assert diff.changed[0].stale_translations == ("labels.ru",)
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


# -- pages and the form as a whole ---------------------------------------------------------


def _with_page(form: FormSpec, name: str, **changes) -> FormSpec:
    return replace(
        form, pages=tuple(replace(p, **changes) if p.name == name else p for p in form.pages)
    )


def test_page_relevant_appearance_and_label_changes_are_listed(form):
    new = _with_page(
        form, "about", relevant="${age} > 0", appearance="", labels={"en": "You", "ru": "О вас"}
    )
    diff = diff_forms(form, new)
    assert [(p.name, [(c.field, c.old, c.new) for c in p.changes]) for p in diff.pages_changed] == [
        (
            "about",
            [
                ("labels.en", "About you", "You"),
                ("relevant", "", "${age} > 0"),
                ("appearance", "field-list", ""),
            ],
        )
    ]
    assert diff.pages_changed[0].stale_translations == ("labels.ru",)
    assert diff.warnings == ("page 'about': the ru label did not change although the en label did",)
    assert not diff.is_empty
    assert (diff.added, diff.removed, diff.changed) == ((), (), ())


def test_pages_added_and_removed_are_listed_but_not_one_question_pages(form):
    about = form.pages[0]
    renamed = replace(form, pages=(replace(about, name="you"), *form.pages[1:]))
    diff = diff_forms(form, renamed)
    assert (diff.pages_added, diff.pages_removed) == (("you",), ("about",))
    assert [p.name for p in form.pages[1:]] == ["media", "check", "comment"]  # one-question pages
    assert [c.name for c in diff.changed] == ["age", "trust_people"]  # their page changed


def test_languages_source_language_and_metadata_changes_are_listed(form):
    new = replace(
        form,
        languages=("en",),
        metadata_fields=(MetadataField(name="start", type="start"), MetadataField("end", "end")),
    )
    diff = diff_forms(form, new)
    assert [(c.field, c.old, c.new) for c in diff.form_changes] == [
        ("languages", ["en", "ru"], ["en"]),
        (
            "metadata_fields",
            [{"name": "start", "type": "start"}],
            [{"name": "start", "type": "start"}, {"name": "end", "type": "end"}],
        ),
    ]
    assert not diff.is_empty
    assert diff.as_dict()["form"] == [
        {"field": c.field, "old": c.old, "new": c.new} for c in diff.form_changes
    ]
    moved_source = diff_forms(form, replace(form, source_language="ru")).form_changes
    assert [(c.field, c.old, c.new) for c in moved_source] == [("source_language", "en", "ru")]


# -- stale translations beyond question labels ----------------------------------------------


@pytest.mark.parametrize(
    ("_case", "changes", "stale", "warning"),
    [
        (
            "hint",
            {"hints": {"en": "In years", "ru": "В годах"}},
            "hints.ru",
            "item 'age': the ru hint did not change although the en hint did",
        ),
        (
            "required message",
            {"required_message": {"en": "Please answer", "ru": "Ответьте"}},
            "required_message.ru",
            "item 'age': the ru required message did not change although the en required "
            "message did",
        ),
    ],
)
def test_stale_hints_and_required_messages_are_marked(form, _case, changes, stale, warning):
    base = _with_question(
        form,
        "age",
        hints={"en": "Years", "ru": "В годах"},
        required_message={"en": "Required", "ru": "Ответьте"},
    )
    diff = diff_forms(base, _with_question(base, "age", **changes))
    assert diff.changed[0].stale_translations == (stale,)
    assert diff.warnings == (warning,)


def test_a_stale_constraint_message_is_marked(form):
    base = _with_question(form, "age", constraint_message={"en": "18 to 110", "ru": "18-110"})
    new = _with_question(base, "age", constraint_message={"en": "18 to 120", "ru": "18-110"})
    diff = diff_forms(base, new)
    assert diff.changed[0].stale_translations == ("constraint_message.ru",)


def test_a_stale_choice_label_is_marked(form):
    trust = form.choice_list("trust")
    first = replace(
        trust.choices[0], labels={"en": "People can be trusted", "ru": "Можно доверять"}
    )
    new = replace(
        form,
        choice_lists=tuple(
            replace(cl, choices=(first, *trust.choices[1:])) if cl.name == "trust" else cl
            for cl in form.choice_lists
        ),
    )
    diff = diff_forms(form, new)
    assert diff.changed[0].stale_translations == ("choices.1.labels.ru",)
    assert diff.warnings == (
        "item 'trust_people': the ru label of choice '1' did not change although the en label "
        "of choice '1' did",
    )


# -- harmonisation drift --------------------------------------------------------------------


@pytest.fixture
def bank():
    return {c.key: concept_reference(c.key, c.definition) for c in read_item_bank(ITEM_BANK_PATH)}


def _harmonised(form: FormSpec, bank, choices) -> FormSpec:
    """trust_people in the WVS wording with the given (name, code, English label) choices."""
    reference = bank["trust_people"].wordings["wvs7"]
    exact = _with_question(form, "trust_people", labels={"en": reference, "ru": "x"})
    specs = tuple(ChoiceSpec(name=n, code=c, labels={"en": label}) for n, c, label in choices)
    return replace(
        exact,
        choice_lists=tuple(
            replace(cl, choices=specs) if cl.name == "trust" else cl for cl in exact.choice_lists
        ),
    )


WVS_CHOICES = [("1", 1, "Most people can be trusted"), ("2", 2, "Need to be very careful")]


def test_a_wvs_missing_code_is_part_of_the_wvs_scale(form, bank):
    harmonised = _harmonised(form, bank, [*WVS_CHOICES, ("dk", -1, "Don't know")])
    assert diff_forms(harmonised, harmonised, item_bank=bank).warnings == ()


def test_a_choice_label_that_left_the_reference_category_is_warned(form, bank):
    harmonised = _harmonised(form, bank, [WVS_CHOICES[0], ("2", 2, "Trust nobody")])
    assert diff_forms(harmonised, harmonised, item_bank=bank).warnings == (
        "item 'trust_people' (harmonised as 'trust_people'): the English label of choice code "
        "2 differs from the wvs7 category label",
    )


def test_drift_is_found_in_a_form_with_a_bare_label_column(tmp_path, bank):
    survey = [
        ["type", "name", "label", "harmonise"],
        ["select_one trust", "trust_people", "Can you trust people?", "trust_people"],
    ]
    choices = [
        ["list_name", "name", "label"],
        ["trust", "1", "Most people can be trusted"],
        ["trust", "2", "Careful"],
    ]
    bare = read_xlsform(write_form(tmp_path / "bare.xlsx", survey, choices))
    assert bare.languages == ("default",)
    assert diff_forms(bare, bare, item_bank=bank).warnings == (
        "item 'trust_people' (harmonised as 'trust_people'): English wording differs from the "
        "ess, wvs7 reference",
        "item 'trust_people' (harmonised as 'trust_people'): the English label of choice code "
        "2 differs from the wvs7 category label",
    )
