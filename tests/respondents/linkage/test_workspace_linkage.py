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


def test_a_page_of_pairs_is_decided_with_one_post(two_waves, team):
    _, _, second, _, returners, _ = two_waves
    run_linkage(second)
    same = ResponseLink.objects.get(response=returners[0])
    other = ResponseLink.objects.get(response=returners[1])
    later = ResponseLink.objects.get(response=returners[2])
    client = _as(team.manager)
    page = client.get(_url(second)).content.decode()
    # one form for the page, one radio group per pair
    assert page.count('id="decide-page"') == 1
    assert f'name="pair-{same.pk}" value="accept"' in page
    reply = client.post(
        _url(second, "decide-page/"),
        {f"pair-{same.pk}": "accept", f"pair-{other.pk}": "reject", f"pair-{later.pk}": ""},
        follow=True,
    )
    assert "1 linked, 1 rejected." in reply.content.decode()
    statuses = {
        link.pk: link.status
        for link in ResponseLink.objects.filter(pk__in=(same.pk, other.pk, later.pk))
    }
    assert statuses == {
        same.pk: LinkStatus.LINKED,
        other.pk: LinkStatus.REJECTED,
        later.pk: LinkStatus.CANDIDATE,
    }
    assert ResponseLink.objects.get(pk=same.pk).decided_by == team.manager


def test_a_page_post_with_nothing_marked_changes_nothing(two_waves, team):
    _, _, second, _, _, _ = two_waves
    run_linkage(second)
    reply = _as(team.owner).post(_url(second, "decide-page/"), {"pair-x": "accept"}, follow=True)
    assert "No pair was marked" in reply.content.decode()
    assert not ResponseLink.objects.exclude(status=LinkStatus.CANDIDATE).exists()


def test_every_decision_stays_in_the_history_on_the_page(two_waves, team):
    _, _, second, _, returners, _ = two_waves
    run_linkage(second)
    link = ResponseLink.objects.get(response=returners[0])
    client = _as(team.owner)
    client.post(_url(second, "decide/"), {"link": link.pk, "decision": "reject", "reason": "age"})
    client.post(
        _url(second, "decide/"), {"link": link.pk, "decision": "reopen", "reason": "typo in age"}
    )
    client.post(_url(second, "decide/"), {"link": link.pk, "decision": "accept", "reason": "ok"})
    client.post(_url(second, "decide/"), {"link": link.pk, "decision": "undo", "reason": "oops"})
    assert [(d.status, d.reason) for d in link.decisions.all()] == [
        (LinkStatus.REJECTED, "age"),
        (LinkStatus.CANDIDATE, "typo in age"),
        (LinkStatus.LINKED, "ok"),
        (LinkStatus.UNLINKED, "oops"),
    ]
    # a new run makes the undone pair a candidate again on the same row: history kept
    run_linkage(second)
    link.refresh_from_db()
    assert link.status == LinkStatus.CANDIDATE
    assert link.decisions.count() == 4
    page = client.get(_url(second)).content.decode()
    for reason in ("age", "typo in age", "oops"):
        assert f"· {reason}</li>" in page


def test_reconsidering_a_rejection_needs_a_reason(two_waves, team):
    _, _, second, _, returners, _ = two_waves
    run_linkage(second)
    link = ResponseLink.objects.get(response=returners[0])
    client = _as(team.owner)
    client.post(_url(second, "decide/"), {"link": link.pk, "decision": "reject"})
    reply = client.post(
        _url(second, "decide/"), {"link": link.pk, "decision": "reopen"}, follow=True
    )
    assert "give a reason" in reply.content.decode()
    link.refresh_from_db()
    assert link.status == LinkStatus.REJECTED
