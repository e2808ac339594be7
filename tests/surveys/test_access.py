"""Roles per study: the permission matrix, visibility, granting and revoking, commands."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from config.accounts.tokens import ERROR_TOKEN_EXISTS, create_api_token
from surveys.access import (
    ERROR_LAST_OWNER,
    ERROR_UNKNOWN_USER,
    AccessError,
    Action,
    can,
    grant_role,
    require,
    requires_two_factor,
    revoke_role,
    studies_visible_to,
    studies_where,
)
from surveys.models import StudyMembership, StudyRole
from tests.builders import make_study, make_user
from tests.surveys.personas import make_team

pytestmark = pytest.mark.django_db

EXPECTED = {
    "owner": set(Action),
    "manager": {
        Action.VIEW_FIGURES,
        Action.VIEW_QUESTIONNAIRES,
        Action.RUN_WAVES,
        Action.INVITE,
        Action.VIEW_PANEL,
        Action.SEE_CONTACTS,
        Action.VIEW_CLEANING,
        Action.VIEW_RESPONSES,
        Action.LINK_RETURNERS,
        Action.REVIEW_FREE_TEXT,
    },
    "researcher": {
        Action.VIEW_FIGURES,
        Action.VIEW_QUESTIONNAIRES,
        Action.EDIT_QUESTIONNAIRES,
        Action.VIEW_CLEANING,
        Action.CLEAN,
        Action.EXPORT,
        Action.DOWNLOAD,
        Action.UPLOAD_REFERENCES,
    },
    "viewer": {Action.VIEW_FIGURES},
    "outsider": set(),
}


@pytest.fixture
def studies():
    return make_study("alpha"), make_study("beta")


@pytest.fixture
def team(studies):
    return make_team(*studies)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_may_take_exactly_its_actions_on_study_a(studies, team, persona):
    user = getattr(team, persona)
    allowed = {action for action in Action if can(user, action, studies[0])}
    assert allowed == EXPECTED[persona]


def test_a_researcher_of_study_b_sees_only_study_b(studies, team):
    assert list(studies_visible_to(team.outsider)) == [studies[1]]
    assert list(studies_where(team.outsider, Action.EXPORT)) == [studies[1]]
    assert list(studies_where(team.viewer, Action.EXPORT)) == []


def test_require_answers_404_outside_the_study_and_403_for_a_missing_right(studies, team):
    with pytest.raises(Http404):
        require(team.outsider, Action.VIEW_FIGURES, studies[0])
    with pytest.raises(PermissionDenied, match="does not allow export"):
        require(team.viewer, Action.EXPORT, studies[0])
    require(team.researcher, Action.EXPORT, studies[0])


def test_superusers_may_do_everything_everywhere(studies):
    admin = make_user("root", is_superuser=True, is_staff=True)
    assert set(studies_visible_to(admin)) == set(studies)
    assert all(can(admin, action, studies[1]) for action in Action)


@pytest.mark.parametrize(
    ("_case", "persona", "expected"),
    [
        ("owner sees contacts", "owner", True),
        ("manager sees contacts", "manager", True),
        ("researcher does not", "researcher", False),
        ("viewer does not", "viewer", False),
    ],
)
def test_two_factor_is_required_of_roles_that_see_contacts(team, _case, persona, expected):
    assert requires_two_factor(getattr(team, persona)) is expected


def test_superusers_need_two_factor_unless_the_setting_waives_it(settings):
    admin = make_user("root", is_superuser=True)
    settings.PANELWAVE_SUPERUSER_2FA = True
    assert requires_two_factor(admin) is True
    settings.PANELWAVE_SUPERUSER_2FA = False
    assert requires_two_factor(admin) is False


def test_grant_role_replaces_the_users_role_on_the_study(studies, team):
    grant = grant_role(study_slug="alpha", username="vera", role="researcher")
    assert (grant.role, grant.created) == ("researcher", False)
    assert StudyMembership.objects.get(user=team.viewer).role == StudyRole.RESEARCHER


def test_the_last_owner_can_be_neither_demoted_nor_revoked(studies, team):
    message = ERROR_LAST_OWNER.format(username="olga", slug="alpha")
    with pytest.raises(AccessError, match=message):
        grant_role(study_slug="alpha", username="olga", role="viewer")
    with pytest.raises(AccessError, match=message):
        revoke_role(study_slug="alpha", username="olga")
    assert StudyMembership.objects.get(user=team.owner).role == StudyRole.OWNER


def test_revoke_role_removes_access(studies, team):
    revoke_role(study_slug="alpha", username="rita")
    assert not can(team.researcher, Action.VIEW_FIGURES, studies[0])


def test_grant_role_command_prints_json(studies, team, capsys):
    call_command("grant_role", "--study", "beta", "--user", "vera", "--role", "viewer", "--json")
    assert json.loads(capsys.readouterr().out) == {
        "study": "beta",
        "user": "vera",
        "role": "viewer",
    }
    assert can(team.viewer, Action.VIEW_FIGURES, studies[1])


@pytest.mark.parametrize(
    ("_case", "args", "message"),
    [
        ("unknown role", ["--role", "king"], "invalid choice: 'king'"),
        ("unknown user", ["--role", "viewer", "--user", "nobody"], "user 'nobody' does not exist"),
        ("unknown study", ["--role", "viewer", "--study", "gamma"], "study 'gamma' does not exist"),
    ],
)
def test_grant_role_command_refuses_bad_input_with_one_line(studies, team, _case, args, message):
    base = {"--study": "alpha", "--user": "vera"} | dict(zip(args[::2], args[1::2], strict=True))
    argv = [item for pair in base.items() for item in pair] + args[:2]
    with pytest.raises(CommandError, match=message):
        call_command("grant_role", *argv)
    assert StudyMembership.objects.get(user=team.viewer).role == StudyRole.VIEWER


def test_create_api_token_prints_a_working_token(studies, team, capsys, client):
    call_command("create_api_token", "rita")
    token = capsys.readouterr().out.strip()
    assert Token.objects.get(user=team.researcher).key == token
    with pytest.raises(AccessError, match=ERROR_TOKEN_EXISTS.format(username="rita")):
        create_api_token("rita")
    assert create_api_token("rita", rotate=True) != token


def test_create_api_token_names_an_unknown_user():
    with pytest.raises(CommandError, match=ERROR_UNKNOWN_USER.format(username="ghost")):
        call_command("create_api_token", "ghost")


def test_create_api_token_refuses_a_manager_without_an_authenticator_in_one_line(team):
    with pytest.raises(CommandError, match=r"^user 'farid' has a role that sees contact details"):
        call_command("create_api_token", "farid")
    assert not Token.objects.filter(user=team.manager).exists()


@pytest.mark.parametrize(
    ("_case", "change"),
    [
        ("_case_grant", lambda: grant_role(study_slug="alpha", username="olga", role="viewer")),
        ("_case_revoke", lambda: revoke_role(study_slug="alpha", username="olga")),
    ],
)
def test_a_role_change_locks_the_study_row_before_any_membership(studies, team, _case, change):
    # Two owners demoting each other at once each lock only their own target membership
    # unless the study row serialises them; a count() never locks (Django drops FOR UPDATE).
    # given a second owner, so the change is allowed
    StudyMembership.objects.filter(user=team.manager).update(role=StudyRole.OWNER)

    # when
    with CaptureQueriesContext(connection) as queries:
        change()

    # then: the study row is locked (read by its id) before any membership is read
    sql = [q["sql"] for q in queries]
    lock = next(
        i for i, s in enumerate(sql) if 'FROM "surveys_study" WHERE "surveys_study"."id" =' in s
    )
    membership = next(i for i, s in enumerate(sql) if 'FROM "surveys_studymembership"' in s)
    assert lock < membership
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in sql[lock]
    assert StudyMembership.objects.filter(role=StudyRole.OWNER).count() == 1
