"""Constructs of real KoboToolbox and ODK forms that the XLSForm reader must take as their
authors meant (forms built here with openpyxl, reproducing what real forms contain)."""

from pathlib import Path

import pytest

from surveys.formspec import FormError, FormSpec
from surveys.xlsform import read_xlsform, write_xlsform
from tests.surveys.forms import write_form
from tests.surveys.kobo_forms import household_form

HEAD = ["type", "name", "label", "relevant", "constraint"]


def _round_trip(form: FormSpec, tmp_path: Path) -> None:
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form


def test_list_names_keep_their_case(tmp_path):
    survey = [HEAD, ["select_one AFG_PROV", "prov", "Province", "", ""]]
    choices = [["list_name", "name", "label"], ["AFG_PROV", "kabul", "Kabul"]]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, choices))
    assert form.questions()[0].choice_list == "AFG_PROV"
    assert form.choice_lists[0].name == "AFG_PROV"
    _round_trip(form, tmp_path)


def test_select_keyword_in_capitals_is_still_a_select(tmp_path):
    survey = [HEAD, ["Select_One Yn", "ok", "OK?", "", ""]]
    choices = [["list_name", "name", "label"], ["Yn", "1", "Yes"], ["Yn", "0", "No"]]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, choices))
    assert (form.questions()[0].type, form.questions()[0].choice_list) == ("select_one", "Yn")


def test_typographic_quotes_and_nbsp_are_normalised_with_a_warning(tmp_path):
    survey = [
        HEAD,
        ["text", "leader_name", "Leader", "", ""],
        ["text", "why", "Why?", "${leader_name}\u00a0=\u00a0\u2018other\u2019", ""],
        ["text", "quote", "Quote", "", ". != \u201cn/a\u201d"],
        ["text", "kept", "Kept", "${leader_name} = 'it\u2019s'", ""],
    ]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    questions = {q.name: q for q in form.questions()}
    assert questions["why"].relevant == "${leader_name} = 'other'"
    assert questions["quote"].constraint == '. != "n/a"'
    # A typographic apostrophe inside a string literal is the author's text: kept.
    assert questions["kept"].relevant == "${leader_name} = 'it\u2019s'"
    assert form.warnings == (
        "row 3, column relevant: typographic quotes or non-breaking spaces replaced: "
        "'${leader_name} = \u2018other\u2019'",
        "row 4, column constraint: typographic quotes or non-breaking spaces replaced: "
        "'. != \u201cn/a\u201d'",
    )
    _round_trip(form, tmp_path)


def test_stray_cells_on_the_choices_sheet_are_ignored_with_a_warning(tmp_path):
    survey = [HEAD, ["select_one yn", "ok", "OK?", "", ""]]
    choices = [
        ["list_name", "name", "label"],
        ["yn", "1", "Yes"],
        ["", "", "a note the author left"],
        ["yn", "0", "No"],
    ]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, choices))
    assert [c.name for c in form.choice_lists[0].choices] == ["1", "0"]
    assert form.warnings == ("row 3 of the choices sheet has no list_name and is ignored",)


def test_a_form_without_labels_is_refused_unless_asked(tmp_path):
    survey = [["type", "name"], ["integer", "age"], ["text", "town"]]
    path = write_form(tmp_path / "old.xlsx", survey, [["list_name", "name"]])
    with pytest.raises(FormError) as caught:
        read_xlsform(path)
    assert str(caught.value) == (
        "old.xlsx: no item has a label, so respondents would see item names; add a label "
        "column (label or label::Language (code)) or import with --allow-no-labels"
    )
    form = read_xlsform(path, allow_no_labels=True)
    assert len(form.questions()) == 2
    assert form.warnings == ("no item has a label: respondents will see item names",)


def test_nested_groups_are_sections_of_their_page(tmp_path):
    form = read_xlsform(household_form(tmp_path / "household.xlsx"))
    assert [p.name for p in form.pages] == [
        "consent",
        "resp_name",
        "household",
        "place",
        "summary",
        "thanks",
    ]
    household = form.pages[2]
    assert [(s.path, s.labels["en"], s.relevant) for s in household.sections] == [
        ("head", "Head of household", ""),
        ("spouse", "Spouse", "../head/age >= 18"),
    ]
    assert [(q.name, q.written_name, q.section) for q in household.questions] == [
        ("head_age", "age", "head"),
        ("sex", "", "head"),
        ("spouse_age", "age", "spouse"),
        ("head_sex_label", "", ""),
        ("adults", "", ""),
    ]
    assert form.pages[1].questions[0].relevant == "${consent} = 'yes'"
    assert form.choice_lists[0].name == "YES_NO"
    _round_trip(form, tmp_path)


def test_a_repeated_name_referenced_by_dollar_braces_is_ambiguous(tmp_path):
    survey = [
        HEAD,
        ["begin group", "a", "A", "", ""],
        ["integer", "age", "Age", "", ""],
        ["end group", "", "", "", ""],
        ["begin group", "b", "B", "", ""],
        ["integer", "age", "Age", "", ""],
        ["end group", "", "", "", ""],
        ["text", "why", "Why?", "${age} > 1", ""],
    ]
    with pytest.raises(FormError) as caught:
        read_xlsform(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    assert str(caught.value) == (
        "f.xlsx: row 8, column relevant: refers to ${age}, which names 2 items (a/age, b/age); "
        "use a path"
    )


def test_a_repeated_name_means_the_nearest_item(tmp_path):
    survey = [
        HEAD,
        ["begin group", "a", "A", "", ""],
        ["integer", "age", "Age", "", ""],
        ["text", "why", "Why?", "${age} > 1", ""],
        ["end group", "", "", "", ""],
        ["begin group", "b", "B", "", ""],
        ["integer", "age", "Age", "", ""],
        ["end group", "", "", "", ""],
    ]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    assert [q.name for q in form.questions()] == ["a_age", "why", "b_age"]


def test_a_path_that_leads_nowhere_is_refused(tmp_path):
    survey = [HEAD, ["integer", "age", "Age", "", ""], ["text", "why", "Why?", "../nope > 1", ""]]
    with pytest.raises(FormError) as caught:
        read_xlsform(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    assert str(caught.value) == (
        "f.xlsx: row 3, column relevant: path '../nope' does not lead to an item of this form"
    )


def test_calculate_needs_a_calculation(tmp_path):
    survey = [
        [*HEAD, "calculation"],
        ["calculate", "x", "", "", "", ""],
        ["text", "t", "T", "", "", ""],
    ]
    with pytest.raises(FormError, match="row 2, column calculation: a calculate item needs"):
        read_xlsform(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))


def test_language_names_become_codes_merged_and_empty_ones_dropped(tmp_path):
    survey = [
        [
            "type",
            "name",
            "label::EN",
            "label::Swahili",
            "hint::swahili",
            "label::العربية",
            "label::French (fr)",
        ],
        ["text", "q1", "Name", "Jina", "Andika jina", "الاسم", ""],
        ["integer", "q2", "Age", "Umri", "", "العمر", ""],
    ]
    # A default language nobody translated into (a template's leftover).
    settings = [["default_language"], ["French (fr)"]]
    path = write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]], settings)
    form = read_xlsform(path)
    assert form.languages == ("en", "sw", "ar")
    assert form.language_names == {"sw": "Swahili", "ar": "العربية"}
    assert form.questions()[0].hints == {"sw": "Andika jina"}
    assert form.warnings == ("language 'fr' has no text in any column and is left out",)
    _round_trip(form, tmp_path)


def test_select_from_file_reads_the_csv_beside_the_form(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "villages.csv").write_text(
        "name,label::English (en),district\nv1,Upper Village,d1\nv2,Lower Village,d2\n",
        encoding="utf-8",
    )
    survey = [
        ["type", "name", "label::English (en)", "choice_filter"],
        ["select_one d", "district", "District", ""],
        ["select_one_from_file villages.csv", "village", "Village", "district=${district}"],
    ]
    choices = [["list_name", "name", "label::English (en)"], ["d", "d1", "One"], ["d", "d2", "Two"]]
    path = write_form(tmp_path / "f.xlsx", survey, choices)
    with pytest.raises(FormError) as caught:
        read_xlsform(path)
    assert str(caught.value) == (
        "f.xlsx: choice list file 'villages.csv' is not given; import with --media DIR "
        "(the directory holding it) or upload it with the form"
    )
    form = read_xlsform(path, media=media)
    village = form.choice_list("villages.csv")
    assert village is not None
    assert [(c.name, c.labels, c.extra) for c in village.choices] == [
        ("v1", {"en": "Upper Village"}, {"district": "d1"}),
        ("v2", {"en": "Lower Village"}, {"district": "d2"}),
    ]
    # The exported form carries the list on its choices sheet: it reads without the file.
    _round_trip(form, tmp_path)
