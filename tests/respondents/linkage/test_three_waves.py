"""A third wave links returners by any earlier answers of theirs, not only their latest:
someone whose wave-2 answers drifted (a mistyped birth year, a move) and whose wave-3
answers are their wave-1 ones again is still found, and the link names their latest
response."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from lxml import html  # type: ignore[import-untyped]

from respondents.models import LinkStatus, PanelMember, Response, ResponseLink, Wave
from respondents.services.linkage import run_linkage
from tests.builders import build_version, make_study
from tests.respondents.fieldwork import START, add_response, make_member, make_wave
from tests.respondents.linkage.conftest import CHOICES, PAGES, _people
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db

RETURNERS = 10


def _drifted(answers: dict[str, object]) -> dict[str, object]:
    """Wave 2 as some people answer it: the birth year two off, the region another one."""
    moved = {"msk": "south", "spb": "volga", "ural": "msk", "volga": "spb", "south": "ural"}
    year = answers["birth_year"]
    assert isinstance(year, int)
    return {**answers, "birth_year": year + 2, "region": moved[str(answers["region"])]}


def _three_waves(
    study_slug: str,
) -> tuple[list[Wave], list[PanelMember], list[Response], list[Response]]:
    """Three waves six months apart; 40 members in wave 1, ten of whom answer wave 2 by
    invitation with drift and come back to wave 3 through the open link with their wave-1
    answers, among five newcomers unlike anyone. Returns the waves, the members, the ten
    wave-2 responses and the ten wave-3 returners' responses."""
    study = make_study(study_slug)
    version = build_version(study, PAGES, choices=CHOICES)
    opens = [START + timedelta(days=180 * n) for n in range(3)]
    waves = [make_wave(study, version, f"Wave {n + 1}") for n in range(3)]
    for wave, opens_at in zip(waves, opens, strict=True):
        wave.opens_at = opens_at
        wave.save(update_fields=["opens_at"])
    first, second, third = waves
    people = _people(40)
    members = [make_member(study, recruited_in=first) for _ in people]
    for member, answers in zip(members, people, strict=True):
        add_response(first, member=member, started_at=opens[0], answers=answers)
    in_wave_2 = [
        add_response(second, member=members[n], started_at=opens[1], answers=_drifted(people[n]))
        for n in range(RETURNERS)
    ]
    returners = [
        add_response(third, started_at=opens[2], answers=people[n]) for n in range(RETURNERS)
    ]
    for n in range(5):
        answers = {"birth_year": 1950 + n, "sex": "f", "region": "south", "trust": "1"}
        add_response(third, started_at=opens[2], answers=answers)
    return waves, members, in_wave_2, returners


def test_a_returner_whose_third_answers_match_wave_1_better_than_wave_2_is_found():
    # given three waves where ten wave-1 members drifted in wave 2 and return to wave 3
    # through the open link with their wave-1 answers
    waves, members, in_wave_2, returners = _three_waves("three")
    third = waves[2]
    # when the linkage runs on wave 3
    run_linkage(third, accept_above=0.9)
    # then each is linked to their own person, through their latest (wave-2) response
    links = ResponseLink.objects.filter(response__wave=third, status=LinkStatus.LINKED)
    assert {(link.response_id, link.earlier_response_id) for link in links} == {
        (returner.pk, latest.pk) for returner, latest in zip(returners, in_wave_2, strict=True)
    }
    for returner, member in zip(returners, members, strict=False):
        returner.refresh_from_db()
        assert returner.member_id == member.pk


def test_the_review_page_shows_each_earlier_wave_of_the_person():
    # given the same three waves, the wave-3 returners left as candidates for review
    waves, _members, in_wave_2, returners = _three_waves("review")
    third = waves[2]
    run_linkage(third)
    team = make_team(third.study, make_study("elsewhere"))
    client = Client()
    login_verified(client, team.manager)
    # when a manager opens wave 3's review page
    page = client.get(f"/workspace/review/waves/{third.pk}/linkage/")
    # then a returner's pair shows this answer beside both earlier waves' answers
    assert page.status_code == 200
    tree = html.fromstring(page.content)
    link = ResponseLink.objects.get(response=returners[0])
    card = tree.xpath(f'//li[@data-link="{link.pk}"]')[0]
    headings = [th.text_content() for th in card.xpath(".//table/thead/tr/th")]
    assert headings[2:] == ["Wave 2", "Wave 1"]
    year_row = [td.text_content() for td in card.xpath('.//tr[td[1]="birth_year"]/td')]
    wave_2_year = in_wave_2[0].answers["birth_year"]
    assert year_row == ["birth_year", str(wave_2_year - 2), str(wave_2_year), str(wave_2_year - 2)]
    # and the birth year is not highlighted: it agrees with wave 1
    assert "differs" not in (card.xpath('.//tr[td[1]="birth_year"]')[0].get("class") or "")
