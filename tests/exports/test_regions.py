"""Rare countries merged by UN M49 region, cities generalised to a national capital or
another place, and both said in words and in the export's language."""

from __future__ import annotations

import pandas as pd
import pytest

from exports.anonymise.capitals import CAPITALS, is_capital
from exports.anonymise.geography import capital_or_other, countries_as, merge_by_region
from exports.anonymise.kanon import QuasiColumn, anonymise, common_places, ladder
from exports.anonymise.recode_texts import (
    CAPITAL_LABEL,
    CAPITALS_LABEL,
    ELSEWHERE_LABEL,
    OTHER_LABEL,
    OTHER_PLACE_LABEL,
)
from exports.anonymise.regions import COUNTRIES, Place, is_country_list, place_of
from exports.dataset import translated
from exports.describe import describe_disclosure
from exports.texts import translator

# code -> (ISO name, rows)
COUNTRY_ROWS = {
    1: ("ge", 50),
    2: ("rs", 40),
    3: ("de", 30),
    4: ("tr", 3),
    5: ("il", 3),
    6: ("me", 2),
    7: ("hr", 2),
    8: ("pl", 2),
    9: ("ar", 1),
    10: ("us", 1),
}
NAMES = {code: iso for code, (iso, _) in COUNTRY_ROWS.items()}
LABELS = {code: iso.upper() for code, (iso, _) in COUNTRY_ROWS.items()}


def _countries() -> pd.Series:
    codes = [code for code, (_, rows) in COUNTRY_ROWS.items() for _ in range(rows)]
    return pd.Series([float(c) for c in codes] + [-2.0, -2.0])


def test_the_m49_table_places_every_country_once():
    assert len(COUNTRIES) >= 240
    assert place_of("ge") == Place("Western Asia", "Asia")
    assert place_of(" GE") == Place("Western Asia", "Asia")
    assert place_of("me") == Place("Southern Europe", "Europe")
    assert place_of("kz") == Place("Central Asia", "Asia")
    assert place_of("ar") == Place("Latin America and the Caribbean", "Americas")
    assert place_of("zz") is None
    assert set(CAPITALS) <= set(COUNTRIES)
    assert is_country_list(NAMES)
    assert not is_country_list({1: "tv", 2: "tg", 3: "web"})
    assert not is_country_list({})


def test_rare_countries_merge_into_their_region_then_continent_then_other():
    coded, labels, note = merge_by_region(_countries(), LABELS, NAMES, 5)

    counts = coded.value_counts()
    # frequent countries keep their codes
    assert counts[1.0] == 50
    assert counts[2.0] == 40
    assert counts[3.0] == 30
    # Turkey and Israel (6 rows, two countries): Western Asia
    western_asia = coded[_countries() == 4.0].iloc[0]
    assert coded[_countries() == 5.0].iloc[0] == western_asia
    assert labels[int(western_asia)] == "Western Asia (merged: rare countries)"
    # Montenegro and Croatia (4 rows) are too few for Southern Europe: with Poland, Europe
    europe = coded[_countries() == 6.0].iloc[0]
    assert {coded[_countries() == c].iloc[0] for c in (7.0, 8.0)} == {europe}
    assert labels[int(europe)] == "Europe (merged: rare countries)"
    # Argentina and the USA (2 rows) reach no region: other
    other = coded[_countries() == 9.0].iloc[0]
    assert coded[_countries() == 10.0].iloc[0] == other
    assert labels[int(other)] == OTHER_LABEL
    # missing codes untouched, and no country left as its own code once merged
    assert (coded == -2.0).sum() == 2
    assert not set(labels) & {4, 5, 6, 7, 8, 9, 10}
    assert "11 = TR, IL; 12 = ME, HR, PL; 13 = AR, US" in note


def test_a_region_never_holds_a_single_country():
    values = pd.Series([1.0] * 20 + [2.0] * 6)
    coded, labels, _ = merge_by_region(values, {1: "GE", 2: "ME"}, {1: "ge", 2: "me"}, 10)
    # Montenegro alone would be named by "Southern Europe": it joins the rarest kept
    # country in "other" instead
    assert set(coded) == {3.0}
    assert labels == {3: OTHER_LABEL}


def test_every_country_as_its_sub_region_or_continent():
    coded, labels, _ = countries_as(_countries(), LABELS, NAMES, 5, "sub_region")
    by_label = {labels[int(c)]: int((coded == c).sum()) for c in coded.unique() if c >= 0}
    assert by_label["Western Asia (merged: rare countries)"] == 56
    assert by_label["Southern Europe (merged: rare countries)"] == 44
    assert by_label["Western Europe (merged: rare countries)"] == 30
    # Poland alone in Eastern Europe (2 rows) is too few for Europe too, as are the two
    # rows of the Americas: other
    assert by_label[OTHER_LABEL] == 4
    coded, labels, _ = countries_as(_countries(), LABELS, NAMES, 5, "region")
    assert sorted(labels[int(c)] for c in coded.unique() if c >= 0) == [
        "Asia (merged: rare countries)",
        "Europe (merged: rare countries)",
        OTHER_LABEL,
    ]


def test_a_country_ladder_goes_through_regions_before_removal():
    column = QuasiColumn("country", "category", LABELS, names=NAMES)
    steps = ladder(_countries(), column, 5)
    notes = [step.note for step in steps]
    assert "merged by UN M49 region" in notes[0]
    assert any("sub-region" in note for note in notes)
    assert "only whether it was answered" in notes[-1]


def test_capitals_are_recognised_in_english_and_russian():
    assert is_capital("Tbilisi")
    assert is_capital("  тбилиси ")
    assert is_capital("Кишинёв")
    assert is_capital("кишинев")
    assert is_capital("Port-Louis")
    assert not is_capital("Almaty")
    assert not is_capital("Batumi")


def test_rare_places_split_into_a_capital_and_another_place():
    places = pd.Series(
        ["Tbilisi"] * 10 + ["Yerevan"] * 3 + ["Podgorica"] * 3 + ["Batumi"] * 2 + ["Gyumri"]
        + [-2.0]
    )  # fmt: skip
    coded, labels, note = common_places(places, 5)
    assert labels == {1: "Tbilisi", 2: OTHER_PLACE_LABEL, 3: CAPITALS_LABEL}
    assert (coded == 3.0).sum() == 6
    assert (coded == 2.0).sum() == 3
    assert coded.iloc[-1] == -2.0
    assert "9 answers" in note

    # too few rare capitals to stand on their own: all rare places are "other"
    coded, labels, _ = common_places(places, 7)
    assert labels == {1: "Tbilisi", 2: OTHER_PLACE_LABEL}

    coded, labels, _ = capital_or_other(places)
    assert labels == {1: CAPITAL_LABEL, 2: ELSEWHERE_LABEL}
    assert list(coded.value_counts().sort_index()) == [1, 16, 3]


@pytest.mark.django_db
def test_merged_labels_and_notes_speak_the_export_language_and_describe_says_so():
    ru = translator("ru")
    _, labels, note = merge_by_region(_countries(), LABELS, NAMES, 5)
    texts = {translated(label, ru) for label in labels.values()}
    assert "Западная Азия (объединены редкие страны)" in texts
    assert "Европа (объединены редкие страны)" in texts
    assert translated(note, ru).startswith("страны, где меньше 5 строк, объединены по регионам")

    frame = pd.DataFrame(
        {
            "person": range(len(_countries())),
            "wave": 1.0,
            "country": _countries(),
            "city": (["Tbilisi"] * 60 + ["Batumi"] * 44 + ["Podgorica"] * 32)[: len(_countries())],
        }
    )
    result = anonymise(
        frame,
        [
            QuasiColumn("country", "category", LABELS, names=NAMES),
            QuasiColumn("city", "place"),
        ],
        5,
        person="person",
        wide=False,
    )
    assert result.generalised["country"] == "rare_countries_by_region"
    report = {
        "release_gate": {"passed": True},
        "k_required": 5,
        "suppressed_share": {"country": 0.0},
        "generalised": result.generalised,
    }
    english = " ".join(describe_disclosure(report, "en"))
    assert "Rare countries merged by UN M49 region" in english
    assert "country" in english
    russian = " ".join(describe_disclosure(report, "ru"))
    assert "Редкие страны объединены по регионам" in russian
