"""Names in the forms the corpus cannot show one by one: cases, initials, figures a study
adds, a first name beside a figure's surname."""

from __future__ import annotations

import pytest

from respondents.freetext.scrub import scrub


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("письмо от Петровой А.С. пришло", "Петровой"),
        ("письмо от Петровой А.С. пришло", "А.С."),
        ("подписал И. И. Сидоров", "Сидоров"),
        ("звонил Кириллу Андреевичу", "Андреевичу"),
        ("Мы с Лёшей решили уехать", "Лёшей"),
        ("Историю рассказал Тимур Алиев", "Алиев"),
        ("Ивaн Петров", "Петров"),  # a Latin "a" inside a Cyrillic name
        ("we stay with Giorgi's family", "Giorgi"),
        ("Ask Mr. Shevchenko", "Shevchenko"),
    ],
)
def test_names_are_removed(text, secret):
    result = scrub(text)

    assert secret not in result.text
    assert "<NAME>" in result.text


@pytest.mark.parametrize(
    "text",
    [
        "Ильхам Алиев снова выиграл выборы",
        "Владимир Владимирович Путин",
        "Вспоминаю речь Юлии Навальной",
        "Лев Толстой бы не одобрил",
        "Navalny and Putin",
    ],
)
def test_public_figures_stay_with_their_first_names(text):
    assert scrub(text).text == text


def test_a_study_adds_its_own_public_figures():
    text = "Губернатор Бочкарёв опять выступал"

    assert "Бочкарёв" not in scrub(text).text
    assert scrub(text, figures=["бочкарёв"]).text == text


def test_cities_and_countries_stay():
    text = "Живу в Тбилиси, раньше жил в Пскове, родители в Саратове, брат в Казахстане"

    assert scrub(text).text == text
