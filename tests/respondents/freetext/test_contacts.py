"""Contacts as respondents write them, spelled-out ones included, and ordinary text that
looks a little like them."""

from __future__ import annotations

import pytest

from respondents.freetext.scrub import scrub


@pytest.mark.parametrize(
    ("text", "secret", "tag"),
    [
        ("пишите ivan.petrov@mail.ru", "ivan.petrov@mail.ru", "<EMAIL>"),
        ("you can reach me at ivan at gmail dot com", "ivan", "<EMAIL>"),
        ("почта ivan @ gmail . com", "ivan", "<EMAIL>"),
        ("email: ivan[at]gmail[dot]com", "ivan", "<EMAIL>"),
        ("ivan(at)yandex(dot)ru — это я", "ivan", "<EMAIL>"),
        ("пишите на petrov собака mail точка ру", "petrov", "<EMAIL>"),
        ("olga_sm at protonmail dot com if needed", "olga_sm", "<EMAIL>"),
        ("ivan dot petrov at gmail dot com", "petrov", "<EMAIL>"),
        ("n.ivanova at mail dot ru", "ivanova", "<EMAIL>"),
        ("ivan_petrov собака gmail.com", "ivan_petrov", "<EMAIL>"),
        ("почта anna.k @ yandex . ru", "anna.k", "<EMAIL>"),
        ("write to ivan at gmail", "ivan", "<EMAIL>"),
        ("ivan {at} mail {dot} ru", "ivan", "<EMAIL>"),
        ("мой ящик ivan собака яндекс", "ivan", "<EMAIL>"),
        ("IVAN AT GMAIL DOT COM", "IVAN", "<EMAIL>"),
        ("ivan<at>gmail<dot>com", "ivan", "<EMAIL>"),
        ("ivan (at) gmail (dot) com", "ivan", "<EMAIL>"),
        ("petrov [собака] mail [точка] ru", "petrov", "<EMAIL>"),
        ("звоните +7 916 123-45-67", "123-45-67", "<PHONE>"),
        ("мой номер 8 (916) 123-45-67", "123-45-67", "<PHONE>"),
        ("call +995 555 12 34 56", "555 12 34 56", "<PHONE>"),
        ("89161234567 звоните вечером", "89161234567", "<PHONE>"),
        ("номер сербский +381 64 123 4567", "123 4567", "<PHONE>"),
        ("тел 8-927-123-45-67", "123-45-67", "<PHONE>"),
        ("восемь девять один шесть один два три четыре пять шесть семь", "шесть семь", "<PHONE>"),
        ("plus seven nine one six one two three four five six seven", "four five", "<PHONE>"),
        (
            "восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь",
            "сорок",
            "<PHONE>",
        ),
        ("тг @ivan_petrov спасибо", "@ivan_petrov", "<TELEGRAM>"),
        ("канал t.me/joinchat/AbCd", "t.me/joinchat", "<TELEGRAM>"),
        ("open tg://resolve?domain=ivan_petrov", "ivan_petrov", "<TELEGRAM>"),
        ("telegram: ivan_petrov", "ivan_petrov", "<TELEGRAM>"),
        ("мой телеграм ivan_petrov, пишите", "ivan_petrov", "<TELEGRAM>"),
        ("тг - ivan_petrov", "ivan_petrov", "<TELEGRAM>"),
        ("телеграм ivan_petrov", "ivan_petrov", "<TELEGRAM>"),
        ("мой ник в телеге petr_pervy", "petr_pervy", "<TELEGRAM>"),
        ("my telegram is sergei_b_1988", "sergei_b_1988", "<TELEGRAM>"),
        ("если что я в телеграме ivan_petrov_1990", "ivan_petrov_1990", "<TELEGRAM>"),
        ("instagram @lena.art.tbilisi", "lena.art", "<TELEGRAM>"),
        ("мой тг masha_tbilisi", "masha_tbilisi", "<TELEGRAM>"),
        ("пишите в телегу @dima_spb", "dima_spb", "<TELEGRAM>"),
        ("см. https://example.com/page", "example.com", "<URL>"),
        ("https://vk.com/id12345678 моя страница", "id12345678", "<URL>"),
    ],
)
def test_contacts_are_replaced_by_their_tag(text, secret, tag):
    result = scrub(text)

    assert secret not in result.text
    assert tag in result.text


@pytest.mark.parametrize(
    "text",
    [
        "I stay at home most of the time",
        "I worked in IT since the dot com era",
        "The dot com bubble taught me to save money",
        "We met at work, not at home",
        "at least we are safe here",
        "Работаю в Яндексе, точка",
        "Моя собака гуляет в парке, точка",
        "I read telegram channels daily",
        "Читаю телеграм-каналы каждый день",
        "Мы узнали про опрос из телеграм канала",
        "Платим 250 000 тенге в месяц",
        "Our income is about 2 000 euros a month",
        "В 2014 и 2022 годах были две волны отъезда",
        "Приехали 21.09.2022, уехали 03.10.2023",
        "Работаю по 10-12 часов в день, три-четыре дня в неделю",
        "one or two times a week, three at most",
        "Сумма 1 500 000 рублей за квартиру",
        "I looked at google dot com for answers",
        "We worked at yandex for years",
    ],
)
def test_ordinary_text_is_left_alone(text):
    result = scrub(text)

    assert result.text == text
    assert result.found == {}
