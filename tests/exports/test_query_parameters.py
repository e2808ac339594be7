"""No query of an export sends one parameter per response.

PostgreSQL takes at most 65,535 parameters in a statement, so a `pk__in=ids` over a
sample (a wave of 100,000) fails the export. The same export is run on a panel and on the
panel grown by more people: the largest parameter list any query sent must not grow with
it. The combined and the panel sample are run, with raking margins set, so weights (raking for the
combined sample, attrition for the others), the linkage column, the codebook and the
anonymisation around them are all read."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from exports.models import RakingMargins
from respondents.freetext.services import scrub_responses
from tests.builders import build_version, make_study
from tests.exports.exporting import use_media
from tests.respondents.fieldwork import START, add_response, make_member, make_wave

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    {
        "name": "about",
        "questions": [
            {
                "name": "birth_year",
                "type": "integer",
                "privacy": "quasi",
                "extra": {"stable": "yes"},
            },
            {"name": "sex", "type": "select_one", "choices": "sexes", "extra": {"stable": "yes"}},
            {"name": "trust", "type": "select_one", "choices": "scale"},
            {"name": "plans", "type": "text"},
        ],
    }
]
CHOICES = {
    "sexes": [(s, {"en": s, "ru": s}) for s in ("f", "m")],
    "scale": [(str(n), {"en": str(n), "ru": str(n)}) for n in range(1, 6)],
}
FIRST_PEOPLE = 12
MORE_PEOPLE = 60


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


def _add_people(study: Any, waves: tuple[Any, Any], start: int, count: int) -> None:
    """People answering wave 1, three in four of them coming back for wave 2; their free
    text scrubbed once, as completion does (an export only reads the stored scrubs)."""
    first, second = waves
    answered = []
    for n in range(start, start + count):
        person = make_member(study)
        answers = {
            "birth_year": 1970 + n % 5,
            "sex": "m" if n % 3 else "f",
            "trust": str(1 + n % 5),
            "plans": f"stay {n % 7}",
        }
        answered.append(add_response(first, member=person, answers=answers).pk)
        if n % 4:
            answered.append(add_response(second, member=person, answers=answers).pk)
    scrub_responses(answered)


def _largest_parameter_list(run: Callable[[], None]) -> int:
    largest = 0

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal largest
        rows = params if many else [params]
        for one in rows or ():
            largest = max(largest, len(one or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        run()
    return largest


def _export(study: Any, out: Path, sample: str, layout: str) -> Callable[[], None]:
    def run() -> None:
        call_command(
            "export_data",
            "--study",
            study.slug,
            "--format",
            "csv",
            "--sample",
            sample,
            "--layout",
            layout,
            "--k",
            "2",
            "--out",
            str(out),
            stdout=io.StringIO(),
        )

    return run


@pytest.mark.parametrize(
    ("sample", "layout"),
    [("combined", "long"), ("panel", "wide")],
)
def test_no_export_query_sends_a_parameter_per_response(media, tmp_path, sample, layout):
    # given a two-wave panel with raking margins
    study = make_study("parameters")
    version = build_version(study, PAGES, choices=CHOICES)
    waves = (make_wave(study, version, "Wave 1"), make_wave(study, version, "Wave 2"))
    waves[1].opens_at = (waves[0].opens_at or START) + timedelta(days=180)
    waves[1].save(update_fields=["opens_at"])
    RakingMargins.objects.create(study=study, margins={"sex": {"f": 0.4, "m": 0.6}})
    _add_people(study, waves, 0, FIRST_PEOPLE)
    # when it is exported, then exported again with six times the people
    small = _largest_parameter_list(_export(study, tmp_path / "small", sample, layout))
    _add_people(study, waves, FIRST_PEOPLE, MORE_PEOPLE)
    large = _largest_parameter_list(_export(study, tmp_path / "large", sample, layout))
    # then no statement's parameters grew with the responses
    assert list((tmp_path / "large").glob("*.csv"))
    assert large == small
