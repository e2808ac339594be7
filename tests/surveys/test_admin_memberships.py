"""Owners manage who has access to their studies in the admin, through grant_role and
revoke_role; nobody else sees or changes memberships."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from surveys.access import ERROR_LAST_OWNER, ERROR_UNKNOWN_USER
from surveys.models import StudyMembership, StudyRole
from tests.builders import make_study, make_user
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db

URL = "/admin/surveys/studymembership/"


@pytest.fixture
def studies():
    return make_study("alpha"), make_study("beta")


@pytest.fixture
def team(studies):
    team = make_team(*studies)
    perms = Permission.objects.filter(content_type__model="studymembership")
    for user in (team.owner, team.manager, team.researcher, team.viewer, team.outsider):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*perms)
    return team


def _roles(study) -> dict[str, str]:
    return dict(StudyMembership.objects.filter(study=study).values_list("user__username", "role"))


def test_the_owner_sees_the_memberships_of_her_study_only(client, studies, team):
    login_verified(client, team.owner)
    listed = client.get(URL).context["cl"].result_list
    assert sorted(m.user.username for m in listed) == ["farid", "olga", "rita", "vera"]


@pytest.mark.parametrize("persona", ["manager", "researcher", "viewer", "outsider"])
def test_no_other_role_sees_or_adds_memberships(client, studies, team, persona):
    login_verified(client, getattr(team, persona))
    membership = StudyMembership.objects.get(user=team.viewer)

    assert client.get(URL).context["cl"].result_count == 0
    assert client.get(f"{URL}{membership.pk}/change/").status_code == 404
    assert client.get(f"{URL}add/").status_code == 403


def test_the_owner_grants_a_role_by_username(client, studies, team):
    alpha, _ = studies
    make_user("nina")
    login_verified(client, team.owner)

    reply = client.post(f"{URL}add/", {"study": alpha.pk, "username": "nina", "role": "viewer"})

    assert reply.status_code == 302
    assert _roles(alpha)["nina"] == StudyRole.VIEWER


def test_an_unknown_username_is_named(client, studies, team):
    alpha, _ = studies
    login_verified(client, team.owner)

    reply = client.post(f"{URL}add/", {"study": alpha.pk, "username": "ghost", "role": "viewer"})

    assert reply.context["adminform"].form.errors["username"] == [
        ERROR_UNKNOWN_USER.format(username="ghost")
    ]


def test_the_owner_cannot_grant_roles_on_a_study_she_does_not_own(client, studies, team):
    _, beta = studies
    login_verified(client, team.owner)

    reply = client.post(f"{URL}add/", {"study": beta.pk, "username": "vera", "role": "owner"})

    assert "study" in reply.context["adminform"].form.errors
    assert "vera" not in _roles(beta)


def test_the_last_owner_cannot_demote_herself(client, studies, team):
    alpha, _ = studies
    mine = StudyMembership.objects.get(user=team.owner)
    login_verified(client, team.owner)

    reply = client.post(f"{URL}{mine.pk}/change/", {"role": "viewer"})

    assert reply.status_code == 200
    assert reply.context["adminform"].form.non_field_errors() == [
        ERROR_LAST_OWNER.format(username="olga", slug="alpha")
    ]
    assert _roles(alpha)["olga"] == StudyRole.OWNER


def test_the_owner_changes_a_role(client, studies, team):
    alpha, _ = studies
    rita = StudyMembership.objects.get(user=team.researcher)
    login_verified(client, team.owner)

    assert client.post(f"{URL}{rita.pk}/change/", {"role": "viewer"}).status_code == 302
    assert _roles(alpha)["rita"] == StudyRole.VIEWER


def test_revoking_goes_through_revoke_role_and_keeps_the_last_owner(client, studies, team):
    alpha, _ = studies
    vera = StudyMembership.objects.get(user=team.viewer)
    olga = StudyMembership.objects.get(user=team.owner)
    login_verified(client, team.owner)

    reply = client.post(
        URL, {"action": "revoke_action", "_selected_action": [vera.pk, olga.pk]}, follow=True
    )

    assert sorted(_roles(alpha)) == ["farid", "olga", "rita"]
    shown = [str(m) for m in reply.context["messages"]]
    assert "alpha: " + ERROR_LAST_OWNER.format(username="olga", slug="alpha") in shown


def test_a_researcher_cannot_revoke_anyone(client, studies, team):
    alpha, _ = studies
    vera = StudyMembership.objects.get(user=team.viewer)
    login_verified(client, team.researcher)

    client.post(URL, {"action": "revoke_action", "_selected_action": [vera.pk]})

    assert "vera" in _roles(alpha)
