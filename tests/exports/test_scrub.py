from __future__ import annotations

import pytest

from exports.anonymise.scrub import scrub


@pytest.mark.parametrize(
    ("_case", "text", "secret", "tag"),
    [
        ("email", "пишите ivan.petrov@mail.ru", "ivan.petrov@mail.ru", "<EMAIL>"),
        ("ru_phone", "звоните +7 916 123-45-67", "123-45-67", "<PHONE>"),
        ("ru_domestic", "мой номер 8 (916) 123-45-67", "123-45-67", "<PHONE>"),
        ("georgian_phone", "call +995 555 12 34 56", "555 12 34 56", "<PHONE>"),
        ("handle", "тг @ivan_petrov спасибо", "@ivan_petrov", "<TELEGRAM>"),
        ("tme_link", "канал t.me/joinchat/AbCd", "t.me/joinchat", "<TELEGRAM>"),
        ("url", "см. https://example.com/page", "example.com", "<URL>"),
        ("tg_app_link", "open tg://resolve?domain=ivan_petrov", "ivan_petrov", "<TELEGRAM>"),
        ("bare_name", "telegram: ivan_petrov", "ivan_petrov", "<TELEGRAM>"),
        ("bare_name_ru", "мой телеграм ivan_petrov, пишите", "ivan_petrov", "<TELEGRAM>"),
        ("bare_name_tg", "тг - ivan_petrov", "ivan_petrov", "<TELEGRAM>"),
    ],
)
def test_scrub_replaces_contact_details_with_tags(_case, text, secret, tag):
    result = scrub(text)

    assert secret not in result.text
    assert tag in result.text
    assert sum(result.found.values()) >= 1


def test_scrub_leaves_ordinary_text_alone():
    result = scrub("Всё хорошо, жду лучших времён")

    assert result.text == "Всё хорошо, жду лучших времён"
    assert result.found == {}


def test_scrub_leaves_the_word_telegram_in_ordinary_english_alone():
    result = scrub("I read telegram channels daily")

    assert result.text == "I read telegram channels daily"
