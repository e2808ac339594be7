"""Structures found in real forms that pyxform converts and Panelwave once refused or
misread (measured by bench/xlsform_coverage.py): each reproduced in a form written here."""

from pathlib import Path

import pytest
from openpyxl import load_workbook

from surveys.formspec import FormError, FormSpec
from surveys.xlsform import read_xlsform, write_xlsform
from tests.surveys.forms import write_form

HEAD = ["type", "name", "label", "relevant"]


def _round_trip(form: FormSpec, tmp_path: Path) -> None:
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form


def test_a_loop_is_written_out_per_choice_as_pyxform_does(tmp_path):
    survey = [
        ["type", "name", "label::English (en)", "label::Français (fr)"],
        ["text", "first", "First", "Premier"],
        ["begin loop over crops", "harvests", "Harvests", "Récoltes"],
        ["integer", "tonnes", "Tonnes of %(label)s?", "Tonnes de %(label)s ?"],
        ["text", "note_%(name)s", "About %(name)s", "Sur %(name)s"],
        ["end loop", "", "", ""],
        *(["text", f"last_{n}", "Last", "Dernier"] for n in range(4)),
    ]
    choices = [
        ["list_name", "name", "label::English (en)", "label::Français (fr)"],
        ["crops", "maize", "maize", "maïs"],
        ["crops", "none", "none", "aucune"],
        ["crops", "rice", "rice", "riz"],
    ]
    form = read_xlsform(write_form(tmp_path / "loop.xlsx", survey, choices))
    page = form.pages[1]
    assert page.name == "harvests"
    assert [(s.path, s.labels["fr"]) for s in page.sections] == [("maize", "maïs"), ("rice", "riz")]
    tonnes = [q for q in page.questions if q.xlsform_name == "tonnes"]
    assert [(q.name, q.section) for q in tonnes] == [
        ("maize_tonnes", "maize"),
        ("rice_tonnes", "rice"),
    ]
    assert tonnes[1].labels == {"en": "Tonnes of rice?", "fr": "Tonnes de riz ?"}
    assert [q.name for q in page.questions if q.type == "text"] == ["note_maize", "note_rice"]
    _round_trip(form, tmp_path)


def test_a_loop_without_a_list_is_refused_on_its_row(tmp_path):
    survey = [HEAD, ["text", "a", "A", ""], ["begin loop", "l", "L", ""], ["end loop", "", "", ""]]
    path = write_form(tmp_path / "f.xlsx", survey, [["list_name", "name", "label"]])
    with pytest.raises(FormError) as caught:
        read_xlsform(path, skip_unsupported=True)
    assert str(caught.value) == (
        "f.xlsx: row 3, column type: begin loop needs a list of the choices sheet to loop "
        "over (found '')"
    )


def test_a_choice_file_not_given_skips_its_items_under_skip_unsupported(tmp_path):
    survey = [
        HEAD,
        ["text", "name", "Name", ""],
        ["begin group", "where", "Where", ""],
        ["select_one_from_file villages.csv", "village", "Village", ""],
        ["end group", "", "", ""],
    ]
    path = write_form(tmp_path / "f.xlsx", survey, [["list_name", "name", "label"]])
    with pytest.raises(FormError, match=r"choice list file 'villages\.csv' is not given"):
        read_xlsform(path)
    form = read_xlsform(path, skip_unsupported=True)
    assert [page.name for page in form.pages] == ["name"]
    assert [(s.row, s.name) for s in form.skipped] == [(4, "village")]
    assert form.warnings == (
        "choice list file 'villages.csv' is not given; import with --media DIR (the "
        "directory holding it) or upload it with the form; the items that offer it are skipped",
    )
    _round_trip(form, tmp_path)


def test_languages_keep_the_order_of_the_columns(tmp_path):
    # The first row has English only; Chinese comes first among the translated columns
    # after the bare hint. The order must not depend on which cells are filled first.
    survey = [
        ["type", "name", "label::english", "hint", "label::chinese"],
        ["text", "a", "A", "", ""],
        ["text", "b", "B", "a hint", "乙"],
    ]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    assert form.languages == ("en", "default", "zh")
    _round_trip(form, tmp_path)


def _wrapped(tmp_path: Path, *, appearance: str = "", relevant: str = "") -> Path:
    survey = [
        [*HEAD, "appearance"],
        ["start", "start", "", "", ""],
        ["begin group", "survey", "The survey", relevant, appearance],
        ["select_one yn", "consent", "Do you agree?", "", ""],
        ["begin group", "household", "Household", "${consent} = 'yes'", ""],
        ["integer", "size", "How many people?", "", ""],
        ["begin group", "head", "Head", "", ""],
        ["integer", "age", "Age of the head", "", ""],
        ["end group", "", "", "", ""],
        ["end group", "", "", "", ""],
        ["begin group", "income", "Income", "", ""],
        ["integer", "amount", "Income last month", "", ""],
        ["end group", "", "", "", ""],
        ["end group", "", "", "", ""],
        ["text", "thanks", "Any comment?", "", ""],
    ]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]
    return write_form(tmp_path / "wrapped.xlsx", survey, choices)


def test_a_wrapper_group_is_split_into_the_pages_inside_it(tmp_path):
    form = read_xlsform(_wrapped(tmp_path, relevant="${start} != ''"))
    assert [page.name for page in form.pages] == ["consent", "household", "income", "thanks"]
    household = form.pages[1]
    assert household.labels == {"default": "Household"}
    assert household.relevant == "(${start} != '') and (${consent} = 'yes')"
    assert [(s.path, s.labels) for s in household.sections] == [("head", {"default": "Head"})]
    assert [(q.name, q.section) for q in household.questions] == [("size", ""), ("age", "head")]
    assert form.pages[0].questions[0].relevant == "${start} != ''"
    assert form.warnings == (
        "group 'survey' holds most of the form, so the groups inside it are the pages "
        "(docs/xlsform.md, 'Pages and sections')",
    )
    _round_trip(form, tmp_path)


def test_a_field_list_wrapper_stays_one_page(tmp_path):
    form = read_xlsform(_wrapped(tmp_path, appearance="field-list"))
    assert [page.name for page in form.pages] == ["survey", "thanks"]
    assert form.warnings == ()


def test_a_group_holding_half_the_form_or_less_is_a_page(tmp_path):
    survey = [
        HEAD,
        ["begin group", "a", "A", ""],
        ["text", "x", "X", ""],
        ["begin group", "inner", "Inner", ""],
        ["text", "y", "Y", ""],
        ["end group", "", "", ""],
        ["end group", "", "", ""],
        ["text", "z", "Z", ""],
        ["text", "w", "W", ""],
    ]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    assert [page.name for page in form.pages] == ["a", "z", "w"]


def test_items_reading_a_skipped_item_are_skipped_with_it_down_the_chain(tmp_path):
    survey = [
        [*HEAD, "calculation"],
        ["text", "name", "Name", "", ""],
        ["geopoint", "where", "Where are you?", "", ""],
        ["calculate", "lat", "", "", "selected-at(${where}, 0)"],
        ["note", "shown", "You are at ${lat}", "${lat} != ''", ""],
        ["integer", "age", "Age", "", ""],
    ]
    path = write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]])
    with pytest.raises(FormError, match=r"type 'geopoint'"):
        read_xlsform(path)
    form = read_xlsform(path, skip_unsupported=True)
    assert [q.name for q in form.questions()] == ["name", "age"]
    assert [(s.row, s.name, s.type) for s in form.skipped] == [
        (3, "where", "geopoint"),
        (4, "lat", "calculate (reads skipped ${where})"),
        (5, "shown", "note (reads skipped ${lat})"),
    ]
    _round_trip(form, tmp_path)


def test_a_last_saved_default_is_dropped_with_a_warning(tmp_path):
    survey = [
        ["type", "name", "label", "default"],
        ["text", "street", "Street", "${last-saved#street}"],
        ["integer", "floors", "Floors", "2"],
    ]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, [["list_name", "name"]]))
    assert [q.default for q in form.questions()] == ["", "2"]
    assert form.warnings == (
        "row 2, column default: default '${last-saved#street}' reads the last form saved on "
        "the same device, which a web survey does not have; the item starts empty",
    )


def test_a_bare_word_in_required_or_calculation_is_read_as_odk_reads_it(tmp_path):
    # pyxform copies such cells into the XForm as XPath: a path to a node that does not
    # exist, so the item is not required and the calculation is empty.
    survey = [
        ["type", "name", "label", "required", "calculation"],
        ["text", "town", "Town", "T", ""],
        ["select_one yn", "fee", "A fee?", "basic", "yes"],
        ["calculate", "flag", "", "", "yes"],
    ]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, choices))
    questions = {q.name: q for q in form.questions()}
    assert [questions[name].required for name in ("town", "fee")] == [False, False]
    assert [questions[name].calculation for name in ("fee", "flag")] == ["''", "''"]
    assert form.warnings == (
        "row 2, column required: 'T' is neither yes nor no, and ODK reads it as the path to a "
        "node that does not exist: the item is not required (write yes to require it)",
        "row 3, column required: 'basic' is neither yes nor no, and ODK reads it as the path "
        "to a node that does not exist: the item is not required (write yes to require it)",
        "row 3, column calculation: 'yes' is a bare word, which ODK reads as the path to a "
        "node that does not exist: the calculation is empty (write 'yes' in quotes for the "
        "text)",
        "row 4, column calculation: 'yes' is a bare word, which ODK reads as the path to a "
        "node that does not exist: the calculation is empty (write 'yes' in quotes for the "
        "text)",
    )
    _round_trip(form, tmp_path)


def test_a_required_condition_makes_the_item_optional_under_skip_unsupported(tmp_path):
    survey = [
        ["type", "name", "label", "required"],
        ["integer", "age", "Age", "yes"],
        ["text", "school", "School", "${age} < 18"],
    ]
    path = write_form(tmp_path / "f.xlsx", survey, [["list_name", "name", "label"]])
    with pytest.raises(FormError, match=r"row 3, column required: required only when"):
        read_xlsform(path)
    form = read_xlsform(path, skip_unsupported=True)
    assert [q.required for q in form.questions()] == [True, False]
    assert form.warnings == (
        "row 3, column required: required only when '${age} < 18' holds is not supported; "
        "the item is optional",
    )
    _round_trip(form, tmp_path)


def test_items_reading_a_skipped_item_by_path_are_skipped_too(tmp_path):
    # An app fills `hidden` inputs a web survey does not have; the form reads them by
    # ODK paths. A calculation of the same name as a skipped input must not be taken
    # for it (the path's name fallback would make it read itself).
    survey = [
        ["type", "name", "label", "relevant", "calculation"],
        ["begin group", "inputs", "Inputs", "./origin = 'user'", ""],
        ["hidden", "origin", "", "", ""],
        ["begin group", "person", "Person", "", ""],
        ["text", "person_id", "ID", "", ""],
        ["end group", "", "", "", ""],
        ["end group", "", "", "", ""],
        ["calculate", "person_id", "", "", "../inputs/person/person_id"],
        ["text", "visit", "Visit notes", "", ""],
        ["integer", "age", "Age", "", ""],
        ["note", "older", "Older", "${age} > 60 and /data/inputs/origin != ''", ""],
    ]
    path = write_form(tmp_path / "f.xlsx", survey, [["list_name", "name", "label"]])
    form = read_xlsform(path, skip_unsupported=True)
    assert [(s.row, s.name, s.type) for s in form.skipped] == [
        (3, "origin", "hidden"),
        (5, "person_id", "text (in group 'inputs', whose relevant reads skipped ${origin})"),
        (11, "older", "note (reads skipped ${origin})"),
        (8, "person_id", "calculate (reads skipped ${person_id})"),
    ]
    assert [q.name for q in form.questions()] == ["visit", "age"]
    _round_trip(form, tmp_path)


def test_select_one_external_offers_its_list_from_the_external_choices_sheet(tmp_path):
    survey = [
        ["type", "name", "label", "choice_filter"],
        ["select_one regions", "region", "Region", ""],
        ["select_one_external districts", "district", "District", "region=${region}"],
    ]
    choices = [["list_name", "name", "label"], ["regions", "north", "North"]]
    path = write_form(tmp_path / "f.xlsx", survey, choices)
    workbook = load_workbook(path)
    sheet = workbook.create_sheet("external_choices")
    for row in (
        ["list_name", "name", "label", "region"],
        ["districts", "hills", "Hills", "north"],
        ["districts", "coast", "Coast", "south"],
        ["districts", "hills", "Hills", "south"],  # unchecked by pyxform on this sheet
    ):
        sheet.append(row)
    workbook.save(path)
    form = read_xlsform(path)
    district = form.questions()[1]
    assert (district.type, district.choice_list, district.choice_filter) == (
        "select_one",
        "districts",
        "region=${region}",
    )
    lists = {choice_list.name: choice_list for choice_list in form.choice_lists}
    assert [(c.name, c.extra, c.variants) for c in lists["districts"].choices] == [
        ("hills", {"region": "north"}, ({"region": "south"},)),
        ("coast", {"region": "south"}, ()),
    ]
    _round_trip(form, tmp_path)


def test_a_cascade_whose_parent_is_skipped_is_skipped_too(tmp_path):
    survey = [
        ["type", "name", "label", "choice_filter"],
        ["text", "name", "Name", ""],
        ["select_one_from_file regions.csv", "region", "Region", ""],
        ["select_one districts", "district", "District", "region=${region}"],
    ]
    choices = [["list_name", "name", "label", "region"], ["districts", "hills", "Hills", "n"]]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey, choices), skip_unsupported=True)
    assert [(s.name, s.type) for s in form.skipped] == [
        ("region", "select_one_from_file regions.csv"),
        ("district", "select_one (reads skipped ${region})"),
    ]
    _round_trip(form, tmp_path)


def test_operators_before_a_bracket_are_not_taken_for_functions(tmp_path):
    # `and (`, `div (`: XPath operators; a bracket inside a string is no call either.
    survey = [
        ["type", "name", "label", "calculation"],
        ["integer", "a", "A", ""],
        ["integer", "b", "B", ""],
        ["calculate", "both", "", "${a} > 1 and (${b} > 1)"],
        ["calculate", "half", "", "${a} div (2) + ${b} mod (3)"],
        ["calculate", "said", "", "concat('Total (', ${a}, ')')"],
        ["calculate", "mapped", "", "pulldata('towns', 'name', 'id', ${a})"],
    ]
    path = write_form(tmp_path / "f.xlsx", survey, [["list_name", "name", "label"]])
    form = read_xlsform(path, skip_unsupported=True)
    assert [q.name for q in form.questions()] == ["a", "b", "both", "half", "said"]
    assert [(s.name, s.type) for s in form.skipped] == [("mapped", "calculate (pulldata())")]


def test_a_repeat_left_asking_nothing_goes_with_its_calculations(tmp_path):
    # A second pass over a household reads each member's age with indexed-repeat(),
    # which is skipped; what it asked read that, so nothing is left to fill per entry.
    survey = [
        ["type", "name", "label", "relevant", "calculation", "repeat_count"],
        ["integer", "size", "How many?", "", "", ""],
        ["begin repeat", "members", "Members", "", "", "${size}"],
        ["integer", "age", "Age", "", "", ""],
        ["end repeat", "", "", "", "", ""],
        ["begin repeat", "schooling", "Schooling", "", "", "${size}"],
        ["calculate", "pos", "", "", "position(..)", ""],
        ["calculate", "member_age", "", "", "indexed-repeat(${age}, ${members}, ${pos})", ""],
        ["note", "about", "About member ${pos}", "", "", ""],
        ["select_one yn", "school", "At school?", "${member_age} < 18", "", ""],
        ["end repeat", "", "", "", "", ""],
    ]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]
    path = write_form(tmp_path / "f.xlsx", survey, choices)
    form = read_xlsform(path, skip_unsupported=True)
    assert [(s.row, s.name, s.type) for s in form.skipped] == [
        (8, "member_age", "calculate (indexed-repeat())"),
        (10, "school", "select_one (reads skipped ${member_age})"),
        (
            7,
            "pos",
            "calculate (in repeat 'schooling', which asks nothing without its skipped items)",
        ),
        (9, "about", "note (in repeat 'schooling', which asks nothing without its skipped items)"),
    ]
    assert [page.name for page in form.pages] == ["size", "members"]
    _round_trip(form, tmp_path)
