"""XLSForm reading and writing (no database): the samples, our columns, refusals."""

import pytest

from surveys.formspec import FormError
from surveys.xlsform import read_xlsform, write_xlsform
from tests.surveys.forms import CHOICES, SAMPLES, SURVEY, write_form


@pytest.mark.parametrize(
    "sample",
    [
        "field-list.xlsx",
        "group.xlsx",
        "specify_other.xlsx",
        "text_and_integer.xlsx",
        "yes_or_no_question.xlsx",
    ],
)
def test_samples_import_and_round_trip_exactly(sample, tmp_path):
    form = read_xlsform(SAMPLES / sample)
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form


def test_tutorial_repeat_is_a_roster_page_and_round_trips(tmp_path):
    form = read_xlsform(SAMPLES / "tutorial.xls")
    assert [(p.name, p.repeat is not None) for p in form.pages] == [("member", True)]
    assert len(form.pages[0].questions) == 10
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form


def test_group_is_a_page_and_phone_number_is_an_identifier():
    form = read_xlsform(SAMPLES / "group.xlsx")
    assert [(p.name, [q.name for q in p.questions]) for p in form.pages] == [
        ("family_name", ["family_name"]),
        ("father", ["phone_number", "age"]),
    ]
    phone = form.pages[1].questions[0]
    assert (phone.type, phone.privacy) == ("text", "identifier")
    assert form.languages == ("en",)
    assert form.pages[1].labels == {"en": "Father"}


def test_specify_other_sets_other_choice_and_adds_it():
    form = read_xlsform(SAMPLES / "specify_other.xlsx")
    question = form.questions()[0]
    assert question.other_choice == "other"
    assert [(c.name, c.code) for c in form.choice_lists[0].choices] == [
        ("male", 1),
        ("female", 2),
        ("other", 3),
    ]


def test_multilingual_form_keeps_every_language_and_our_columns(tmp_path):
    form = read_xlsform(write_form(tmp_path / "panel.xlsx"))
    assert form.languages == ("en", "ru")
    assert form.language_names == {"en": "English", "ru": "Русский"}
    assert [m.name for m in form.metadata_fields] == ["start"]
    by_name = {q.name: q for q in form.questions()}
    assert by_name["age"].labels == {"en": "Age", "ru": "Возраст"}
    assert by_name["age"].required is True
    assert by_name["age"].privacy == "quasi"
    assert by_name["trust_people"].harmonise == "trust_people"
    assert by_name["check"].attention_expected == "agree"
    assert by_name["comment"].privacy == "sensitive"
    trust = form.choice_list("trust")
    assert trust is not None
    assert [(c.name, c.code) for c in trust.choices] == [("1", 1), ("2", 2)]
    write_xlsform(form, tmp_path / "again.xlsx")
    assert read_xlsform(tmp_path / "again.xlsx") == form


def test_csv_xlsform_is_read(tmp_path):
    path = tmp_path / "form.csv"
    path.write_text("survey,type,name,label\n,integer,age,Age\n,text,name,Name\n", encoding="utf-8")
    form = read_xlsform(path)
    assert [q.name for q in form.questions()] == ["age", "name"]
    assert form.languages == ("default",)


def test_skip_unsupported_lists_the_skipped_items(tmp_path):
    survey = [*SURVEY, ["geopoint", "where", "Where?", "", "", "", "", "", "", "", "", ""]]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey), skip_unsupported=True)
    assert [(s.row, s.name, s.type) for s in form.skipped] == [(10, "where", "geopoint")]
    assert "where" not in [q.name for q in form.questions()]


@pytest.mark.parametrize(
    ("_case", "row", "message"),
    [
        (
            "unknown reference",
            ["integer", "x", "X", "", "${nope} > 1", "", "", "", "", "", "", ""],
            "f.xlsx: row 10, column relevant: refers to ${nope}, which is not an item of this form",
        ),
        (
            "bad syntax",
            ["integer", "x", "X", "", "", ". >", "", "", "", "", "", ""],
            "f.xlsx: row 10, column constraint: expression '. >': unexpected the end at 4",
        ),
        (
            "bad privacy",
            ["integer", "x", "X", "", "", "", "", "", "secret", "", "", ""],
            "f.xlsx: row 10, column privacy: privacy 'secret' is not one of identifier, quasi, sensitive",
        ),
        (
            "duplicate name",
            ["integer", "comment", "X", "", "", "", "", "", "", "", "", ""],
            "f.xlsx: row 10, column name: the name 'comment' is used twice (also on row 9)",
        ),
        (
            "unknown list",
            ["select_one nolist", "x", "X", "", "", "", "", "", "", "", "", ""],
            "f.xlsx: row 10, column type: choice list 'nolist' is not on the choices sheet",
        ),
        (
            "bad required",
            ["integer", "x", "X", "", "", "", "", "maybe not", "", "", "", ""],
            "f.xlsx: row 10, column required: 'maybe not' is not yes or no",
        ),
        (
            "required only when",
            ["integer", "x", "X", "", "", "", "", "${age} > 30", "", "", "", ""],
            "f.xlsx: row 10, column required: required only when '${age} > 30' holds is not "
            "supported (write yes or no, or import with --skip-unsupported to make the item "
            "optional)",
        ),
        (
            "photo",
            ["photo", "pic", "X", "", "", "", "", "", "", "", "", ""],
            "f.xlsx: row 10, column type: type 'photo' ('pic') cannot be asked in a web survey; "
            "remove it or import with --skip-unsupported",
        ),
    ],
)
def test_bad_rows_are_refused_with_file_row_and_column(_case, row, message, tmp_path):
    with pytest.raises(FormError) as caught:
        read_xlsform(write_form(tmp_path / "f.xlsx", [*SURVEY, row]))
    assert str(caught.value) == message


def test_a_group_reading_a_skipped_item_goes_with_its_items_each_listed(tmp_path):
    # Whether the author meant the group shown cannot be known once the photo is skipped.
    empty = ["", "", "", "", "", "", ""]
    survey = [
        *SURVEY,
        ["photo", "pic", "X", "", *empty, ""],
        ["begin group", "more", "More", "", "${pic} != ''", *empty],
        ["text", "why", "Why?", "", *empty, ""],
        ["begin group", "inner", "Inner", "", *empty, ""],
        ["integer", "how", "How?", "", *empty, ""],
        ["end group", "", "", "", *empty, ""],
        ["end group", "", "", "", *empty, ""],
        ["begin group", "last", "Last", "", *empty, ""],
        ["text", "kept", "Kept", "", *empty, ""],
        ["begin group", "photo_part", "On the photo", "", "${pic} = ''", *empty[1:], ""],
        ["text", "caption", "Caption", "", *empty, ""],
        ["end group", "", "", "", *empty, ""],
        ["end group", "", "", "", *empty, ""],
    ]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", survey), skip_unsupported=True)
    assert [(s.row, s.name, s.type) for s in form.skipped] == [
        (10, "pic", "photo"),
        (12, "why", "text (in group 'more', whose relevant reads skipped ${pic})"),
        (14, "how", "integer (in group 'more', whose relevant reads skipped ${pic})"),
        (20, "caption", "text (in group 'photo_part', whose relevant reads skipped ${pic})"),
    ]
    assert [page.name for page in form.pages][-1] == "last"
    assert [q.name for q in form.pages[-1].questions] == ["kept"]
    assert form.pages[-1].sections == ()
    write_xlsform(form, tmp_path / "out.xlsx")
    assert read_xlsform(tmp_path / "out.xlsx") == form


def test_duplicate_choice_is_refused(tmp_path):
    choices = [*CHOICES, ["trust", "1", "Again", "Снова"]]
    with pytest.raises(FormError) as caught:
        read_xlsform(write_form(tmp_path / "f.xlsx", choices=choices))
    assert str(caught.value) == (
        "f.xlsx: row 8, column name: choice '1' appears twice in list 'trust'"
    )


def test_unclosed_inner_group_is_named(tmp_path):
    survey = [
        SURVEY[0],
        ["begin group", "outer", "Outer", "", "", "", "", "", "", "", "", ""],
        ["begin group", "inner", "Inner", "", "", "", "", "", "", "", "", ""],
    ]
    with pytest.raises(FormError, match="row 3: group 'inner' is never closed with 'end group'"):
        read_xlsform(write_form(tmp_path / "f.xlsx", survey))


def test_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(FormError, match=r"^broken.xlsx: cannot be read as an XLSForm"):
        read_xlsform(path)


LONG = "x" * 101


@pytest.mark.parametrize(
    ("_case", "row", "message"),
    [
        (
            "name over 100 characters",
            ["integer", LONG, "X", "", "", "", "", "", "", "", "", ""],
            f"f.xlsx: row 10, column name: {LONG!r} is longer than 100 characters",
        ),
        (
            "appearance over 100 characters",
            ["integer", "x", "X", "", "", "", "", "", "", "", "", LONG],
            f"f.xlsx: row 10, column appearance: {LONG!r} is longer than 100 characters",
        ),
        (
            "harmonise over 100 characters",
            ["integer", "x", "X", "", "", "", "", "", "", LONG, "", ""],
            f"f.xlsx: row 10, column harmonise: {LONG!r} is longer than 100 characters",
        ),
        (
            "attention check that is not a choice",
            ["select_one agree", "x", "X", "", "", "", "", "", "", "", "agreed", ""],
            "f.xlsx: row 10, column attention_check: attention check answer 'agreed' is not a "
            "choice of list 'agree'",
        ),
        (
            "attention check of a select_multiple naming one unknown choice",
            ["select_multiple media", "x", "X", "", "", "", "", "", "", "", "tg radio", ""],
            "f.xlsx: row 10, column attention_check: attention check answer 'radio' is not a "
            "choice of list 'media'",
        ),
    ],
)
def test_long_values_and_bad_attention_checks_are_refused_with_the_row(
    _case, row, message, tmp_path
):
    with pytest.raises(FormError) as caught:
        read_xlsform(write_form(tmp_path / "f.xlsx", [*SURVEY, row]))
    assert str(caught.value) == message


def test_attention_check_of_several_choices_is_accepted(tmp_path):
    row = ["select_multiple media", "x", "X", "", "", "", "", "", "", "", "tg tv", ""]
    form = read_xlsform(write_form(tmp_path / "f.xlsx", [*SURVEY, row]))
    assert form.questions()[-1].attention_expected == "tg tv"


def test_long_choice_names_and_out_of_range_codes_are_refused_with_the_row(tmp_path):
    longer = "x" * 256  # a choice name may hold 255 characters, other names 100
    long_choice = [*CHOICES, ["media", longer, "Long", "Длинный"]]
    with pytest.raises(FormError) as caught:
        read_xlsform(write_form(tmp_path / "f.xlsx", choices=long_choice))
    assert str(caught.value) == (
        f"f.xlsx: row 8, column name: {longer!r} is longer than 255 characters"
    )
    huge_code = [
        [*row, "code"] if i == 0 else [*row, "3000000000" if i == 1 else ""]
        for i, row in enumerate(CHOICES)
    ]
    with pytest.raises(FormError) as caught:
        read_xlsform(write_form(tmp_path / "f.xlsx", choices=huge_code))
    assert str(caught.value) == (
        "f.xlsx: row 2, column code: code 3000000000 of choice '1' is outside "
        "-2147483648..2147483647"
    )
