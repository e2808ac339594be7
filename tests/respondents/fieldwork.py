"""Builders for fieldwork tests: a two-language study with a small published version,
open waves, panel members with contacts, and finished responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from respondents.models import PanelMember, Response, ResponseStatus, Wave
from respondents.services.contacts import store_contact
from respondents.services.panel_signup import new_pseudonym
from respondents.services.waves import open_wave
from surveys.models import QuestionnaireVersion, Study
from tests.builders import build_version, make_study

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

PAGES: list[dict[str, Any]] = [
    {
        "name": "about",
        "questions": [
            {
                "name": "age",
                "type": "integer",
                "required": True,
                "constraint": ". >= 18 and . <= 110",
                "constraint_message": {"en": "Age must be 18 to 110."},
                "labels": {"en": "Age", "ru": "Возраст"},
            },
            {"name": "country", "type": "select_one", "choices": "countries", "required": True},
            {"name": "born", "type": "date"},
        ],
    },
    {
        "name": "media",
        "questions": [
            {"name": "sources", "type": "select_multiple", "choices": "media"},
            {"name": "hours", "type": "decimal"},
            {
                "name": "tg_detail",
                "type": "text",
                "relevant": "selected(${sources}, 'tg')",
            },
        ],
    },
]
CHOICES = {
    "countries": [(c, {"en": c.upper(), "ru": c}) for c in ("ge", "am", "kz")],
    "media": [(m, {"en": m, "ru": m}) for m in ("tg", "yt", "web")],
}


def make_fieldwork_study(slug: str = "panel") -> tuple[Study, QuestionnaireVersion]:
    study = make_study(slug)
    return study, build_version(study, PAGES, choices=CHOICES)


def make_wave(study: Study, version: QuestionnaireVersion, name: str) -> Wave:
    return open_wave(study, version, name)


def make_member(
    study: Study,
    *,
    email: str = "",
    telegram: str = "",
    language: str = "en",
    recruited_in: Wave | None = None,
) -> PanelMember:
    member = PanelMember.objects.create(
        study=study,
        pseudonym=new_pseudonym(),
        preferred_language=language,
        recruited_in=recruited_in,
    )
    if email or telegram:
        store_contact(member, email=email, telegram=telegram)
    return member


def add_response(
    wave: Wave,
    *,
    member: PanelMember | None = None,
    status: str = ResponseStatus.COMPLETED,
    started_at: datetime = START,
    seconds: float = 300,
    channel: str = "",
    language: str = "en",
    answers: dict[str, Any] | None = None,
) -> Response:
    completed = status == ResponseStatus.COMPLETED
    return Response.objects.create(
        wave=wave,
        member=member,
        status=status,
        channel=channel,
        language=language,
        answers=answers or {"age": 30, "country": "ge"},
        started_at=started_at,
        completed_at=started_at + timedelta(seconds=seconds) if completed else None,
        current_page="end" if completed else "about",
    )
