"""Reviewing returners in the workspace: candidates side by side, accept and reject with the
decision recorded, undo; who may; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from respondents.models import LinkHow, LinkStatus, Response, ResponseLink
from respondents.services.linkage import run_linkage
from tests.builders import make_study
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(two_waves):
    study = two_waves[0]
    return make_team(study, make_study("other"))


def _as(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _url(second: Any, tail: str = "") -> str:
    return f"/workspace/linked/waves/{second.pk}/linkage/{tail}"


def test_a_manager_accepts_one_pair_and_rejects_another(two_waves, team):
    _, _, second, _, returners, _ = two_waves
    run_linkage(second)
    client = _as(team.manager)
    page = client.get(_url(second))
    assert page.status_code == 200
    body = page.content.decode()
    # both responses' stable answers are on the page, side by side
    assert "birth_year" in body
    assert "region" in body
    first_link = ResponseLink.objects.get(response=returners[0])
    second_link = ResponseLink.objects.get(response=returners[1])
    client.post(_url(second, "decide/"), {"link": first_link.pk, "decision": "accept"})
    client.post(
        _url(second, "decide/"),
        {"link": second_link.pk, "decision": "reject", "reason": "different region"},
    )
    first_link.refresh_from_db()
    second_link.refresh_from_db()
    assert (first_link.status, first_link.how) == (LinkStatus.LINKED, LinkHow.REVIEWED)
    assert first_link.decided_by == team.manager
    assert second_link.status == LinkStatus.REJECTED
    assert second_link.reason == "different region"
    assert Response.objects.get(pk=returners[0].pk).member_id is not None
    assert Response.objects.get(pk=returners[1].pk).member_id is None


def test_accepting_every_candidate_above_the_threshold_at_once(two_waves, team):
    _, _, second, _, _, _ = two_waves
    run_linkage(second)
    above = ResponseLink.objects.filter(probability__gte=0.9).count()
    _as(team.owner).post(_url(second, "accept-above/"))
    assert ResponseLink.objects.filter(status=LinkStatus.LINKED).count() == above


def test_undo_needs_a_reason(two_waves, team):
    _, _, second, _, returners, _ = two_waves
    run_linkage(second)
    link = ResponseLink.objects.get(response=returners[0])
    client = _as(team.owner)
    client.post(_url(second, "decide/"), {"link": link.pk, "decision": "accept"})
    reply = client.post(_url(second, "decide/"), {"link": link.pk, "decision": "undo"}, follow=True)
    link.refresh_from_db()
    assert link.status == LinkStatus.LINKED
    assert "give a reason" in reply.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("researcher", 403), ("viewer", 403), ("outsider", 404)]
)
def test_who_may_not_review(two_waves, team, persona, status):
    _, _, second, _, _, _ = two_waves
    run_linkage(second)
    link = ResponseLink.objects.order_by("pk").first()
    assert link is not None
    client = _as(getattr(team, persona))
    assert client.get(_url(second)).status_code == status
    assert (
        client.post(_url(second, "decide/"), {"link": link.pk, "decision": "accept"}).status_code
        == status
    )
    assert not ResponseLink.objects.filter(status=LinkStatus.LINKED).exists()
