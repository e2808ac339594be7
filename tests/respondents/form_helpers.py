# ruff: noqa: RUF001  (Russian labels are meant to be Cyrillic)
"""A bilingual questionnaire and an open wave for the respondent-form tests."""

from __future__ import annotations

import re
from typing import Any

from respondents.models import Wave
from respondents.services.waves import open_wave
from surveys.models import QuestionnaireVersion, Study
from tests.builders import build_version, make_study

YES_NO = [("yes", {"en": "Yes", "ru": "Да"}), ("no", {"en": "No", "ru": "Нет"})]
AGREE = [
    ("1", {"en": "Agree", "ru": "Согласен"}),
    ("2", {"en": "Neutral", "ru": "Нейтрально"}),
    ("3", {"en": "Disagree", "ru": "Не согласен"}),
]
COUNTRIES = [
    ("am", {"en": "Armenia", "ru": "Армения"}),
    ("ge", {"en": "Georgia", "ru": "Грузия"}),
    ("other", {"en": "Other", "ru": "Другая"}),
]
TOPICS = [
    ("war", {"en": "War", "ru": "Война"}),
    ("work", {"en": "Work", "ru": "Работа"}),
    ("home", {"en": "Home", "ru": "Дом"}),
]
AGE_MESSAGE = {"en": "Age must be between 18 and 110.", "ru": "Возраст от 18 до 110."}

PAGES: list[dict[str, Any]] = [
    {
        "name": "about",
        "labels": {"en": "About you", "ru": "О вас"},
        "questions": [
            {
                "name": "age",
                "type": "integer",
                "labels": {"en": "Your age", "ru": "Ваш возраст"},
                "required": True,
                "constraint": ". >= 18 and . <= 110",
                "constraint_message": AGE_MESSAGE,
            },
            {
                "name": "country",
                "type": "select_one",
                "choices": "countries",
                "other_choice": "other",
                "labels": {"en": "Where do you live?", "ru": "Где вы живёте?"},
                "required": True,
            },
            {
                "name": "has_children",
                "type": "select_one",
                "choices": "yesno",
                "labels": {"en": "Do you have children?", "ru": "Есть ли у вас дети?"},
            },
        ],
    },
    {
        "name": "children",
        "labels": {"en": "Children", "ru": "Дети"},
        "relevant": "${has_children} = 'yes'",
        "questions": [
            {
                "name": "n_children",
                "type": "integer",
                "labels": {"en": "How many?", "ru": "Сколько?"},
                "required": True,
            },
        ],
    },
    {
        "name": "trust",
        "labels": {"en": "Trust", "ru": "Доверие"},
        "questions": [
            {
                "name": "trust_people",
                "type": "select_one",
                "choices": "agree",
                "labels": {
                    "en": "Most people can be trusted",
                    "ru": "Большинству людей можно доверять",
                },
                "required": True,
            },
            {
                "name": "trust_media",
                "type": "select_one",
                "choices": "agree",
                "labels": {"en": "The media can be trusted", "ru": "СМИ можно доверять"},
                "required": True,
            },
        ],
    },
    {
        "name": "views",
        "labels": {"en": "Your views", "ru": "Ваши взгляды"},
        "questions": [
            {
                "name": "intro",
                "type": "note",
                "labels": {"en": "Almost done.", "ru": "Почти всё."},
            },
            {
                "name": "topics",
                "type": "select_multiple",
                "choices": "topics",
                "labels": {"en": "What worries you?", "ru": "Что вас беспокоит?"},
            },
            {
                "name": "left_on",
                "type": "date",
                "labels": {"en": "When did you leave?", "ru": "Когда вы уехали?"},
            },
            {
                "name": "comment",
                "type": "text",
                "labels": {"en": "Anything else?", "ru": "Что-нибудь ещё?"},
                "appearance": "multiline",
            },
        ],
    },
]

CHOICES = {"yesno": YES_NO, "agree": AGREE, "countries": COUNTRIES, "topics": TOPICS}

# A complete run through every page, as a respondent's browser posts it.
GOOD_PAGES: dict[str, dict[str, list[str]]] = {
    "about": {
        "age": ["34"],
        "country": ["other"],
        "country_other": ["Serbia"],
        "has_children": ["yes"],
    },
    "children": {"n_children": ["2"]},
    "trust": {"trust_people": ["1"], "trust_media": ["3"]},
    "views": {"topics": ["war", "home"], "left_on": ["2022-09-21"], "comment": ["Спасибо"]},
}
EXPECTED_ANSWERS = {
    "age": 34,
    "country": "other",
    "country_other": "Serbia",
    "has_children": "yes",
    "n_children": 2,
    "trust_people": "1",
    "trust_media": "3",
    "topics": ["war", "home"],
    "left_on": "2022-09-21",
    "comment": "Спасибо",
}


def make_version(study: Study | None = None) -> QuestionnaireVersion:
    return build_version(study or make_study(), PAGES, choices=CHOICES)


def make_wave(name: str = "w1", *, channels: tuple[str, ...] = ()) -> Wave:
    version = make_version()
    return open_wave(version.questionnaire.study, version, name, channels=channels)


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def page_post(html: str, answers: dict[str, list[str]], action: str = "next") -> dict[str, Any]:
    """The POST a browser sends for the page in `html` with these answers."""
    csrf = re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', html)
    return {
        **({"csrfmiddlewaretoken": csrf[0]} if csrf else {}),
        "_pw_page": hidden_value(html, "_pw_page"),
        "_pw_step": hidden_value(html, "_pw_step"),
        "_pw_shown": re.findall(r'name="_pw_shown" value="([^"]*)"', html),
        "_pw_action": action,
        "website": "",
        **answers,
    }


def start_open(client, wave: Wave, *, query: str = "", **headers: Any) -> str:
    """Consent on the open link; returns the resume URL the respondent is sent to."""
    consent = client.get(f"/s/{wave.slug}/{query}", **headers)
    assert consent.status_code == 200
    started = client.post(f"/s/{wave.slug}/{query}", {"website": ""}, **headers)
    assert started.status_code == 303, started.status_code
    return str(started["Location"])


def answer_pages(client, url: str, pages: dict[str, dict[str, list[str]]], **headers: Any) -> None:
    """Post every page the form shows, with the answers for it, until the end page."""
    for _ in range(len(pages) + 1):
        page = client.get(url, **headers)
        html = page.content.decode()
        if "_pw_page" not in html:
            return
        name = hidden_value(html, "_pw_page")
        posted = client.post(url, page_post(html, pages[name]), **headers)
        assert posted.status_code == 303, (name, posted.content.decode()[:2000])
    raise AssertionError("the form never reached its end page")
