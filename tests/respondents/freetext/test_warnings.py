"""Warn at the source, through the respondent pages (server-side, no JavaScript)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from respondents.freetext.warnings import findings, remove_found
from respondents.models import Response, ResponseStatus
from tests.respondents.form_helpers import GOOD_PAGES, make_wave, page_post, start_open

pytestmark = pytest.mark.django_db

RU: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}
EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def _last_page(client: Client, headers: dict[str, Any]) -> tuple[str, str]:
    url = start_open(client, make_wave(), **headers)
    for name in ("about", "children", "trust"):
        html = client.get(url, **headers).content.decode()
        client.post(url, page_post(html, GOOD_PAGES[name]), **headers)
    return url, client.get(url, **headers).content.decode()


def _views(comment: str) -> dict[str, list[str]]:
    return {**GOOD_PAGES["views"], "comment": [comment]}


def test_the_warning_speaks_russian_and_keep_stores_the_answer_as_written():
    client = Client()
    url, html = _last_page(client, RU)

    warned = client.post(url, page_post(html, _views("Пишите на ivan@mail.ru, Иван")), **RU)
    page = warned.content.decode()
    kept = client.post(
        url, {**page_post(page, _views("Пишите на ivan@mail.ru, Иван")), "_privacy": "keep"}, **RU
    )

    assert warned.status_code == 200
    assert "Ваш ответ может раскрыть вас или другого человека" in page
    assert "контакты (почта, телефон, мессенджер)" in page
    assert "Удалить и продолжить" in page
    assert kept.status_code == 303
    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETED
    assert response.answers["comment"] == "Пишите на ivan@mail.ru, Иван"
    assert response.paradata["privacy_warnings"] == {"shown": 1, "removed": 0, "kept": 1}


def test_an_ordinary_comment_passes_without_a_warning():
    client = Client()
    url, html = _last_page(client, EN)

    posted = client.post(url, page_post(html, _views("Надежда умирает последней")), **EN)

    assert posted.status_code == 303
    response = Response.objects.get()
    assert response.answers["comment"] == "Надежда умирает последней"
    assert "privacy_warnings" not in response.paradata


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("Меня зовут Иван Петров, живу в Тбилиси", "Меня зовут, живу в Тбилиси"),
        ("we live at 14 Rustaveli Avenue, Tbilisi", "we live at, Tbilisi"),
        ("пишите ivan at gmail dot com", "пишите"),
    ],
)
def test_remove_cuts_out_what_was_found_and_keeps_the_rest(text, left):
    assert findings({"c": [text]}, ["c"])
    assert remove_found(text) == left
