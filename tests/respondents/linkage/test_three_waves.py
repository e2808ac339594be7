"""A third wave links returners by any earlier answers of theirs, not only their latest:
someone whose wave-2 answers drifted (a mistyped birth year, a move) and whose wave-3
answers are their wave-1 ones again is still found, and the link names their latest
response."""

from __future__ import annotations

from datetime import timedelta

import pytest

from respondents.models import LinkStatus, ResponseLink
from respondents.services.linkage import run_linkage
from tests.builders import build_version, make_study
from tests.respondents.fieldwork import START, add_response, make_member, make_wave
from tests.respondents.linkage.conftest import CHOICES, PAGES, _people

pytestmark = pytest.mark.django_db

RETURNERS = 10


def _drifted(answers: dict[str, object]) -> dict[str, object]:
    """Wave 2 as some people answer it: the birth year two off, the region another one."""
    moved = {"msk": "south", "spb": "volga", "ural": "msk", "volga": "spb", "south": "ural"}
    year = answers["birth_year"]
    assert isinstance(year, int)
    return {**answers, "birth_year": year + 2, "region": moved[str(answers["region"])]}


def test_a_returner_whose_third_answers_match_wave_1_better_than_wave_2_is_found():
    # given a study of three waves six months apart
    study = make_study("three")
    version = build_version(study, PAGES, choices=CHOICES)
    opens = [START + timedelta(days=180 * n) for n in range(3)]
    waves = [make_wave(study, version, f"Wave {n + 1}") for n in range(3)]
    for wave, opens_at in zip(waves, opens, strict=True):
        wave.opens_at = opens_at
        wave.save(update_fields=["opens_at"])
    first, second, third = waves
    # and 40 panel members in wave 1, ten of whom answer wave 2 by invitation with drift
    people = _people(40)
    members = [make_member(study, recruited_in=first) for _ in people]
    for member, answers in zip(members, people, strict=True):
        add_response(first, member=member, started_at=opens[0], answers=answers)
    in_wave_2 = [
        add_response(second, member=members[n], started_at=opens[1], answers=_drifted(people[n]))
        for n in range(RETURNERS)
    ]
    # when those ten come back to wave 3 through the open link with their wave-1 answers,
    # among five newcomers unlike anyone
    returners = [
        add_response(third, started_at=opens[2], answers=people[n]) for n in range(RETURNERS)
    ]
    for n in range(5):
        answers = {"birth_year": 1950 + n, "sex": "f", "region": "south", "trust": "1"}
        add_response(third, started_at=opens[2], answers=answers)
    run_linkage(third, accept_above=0.9)
    # then each is linked to their own person, through their latest (wave-2) response
    links = ResponseLink.objects.filter(response__wave=third, status=LinkStatus.LINKED)
    assert {(link.response_id, link.earlier_response_id) for link in links} == {
        (returner.pk, latest.pk) for returner, latest in zip(returners, in_wave_2, strict=True)
    }
    for returner, member in zip(returners, members, strict=False):
        returner.refresh_from_db()
        assert returner.member_id == member.pk
