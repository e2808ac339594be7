"""Roles in every admin: each list, change page, filter and action is limited to the
user's studies and to what their role there allows.

All personas are staff with every model permission of the three apps, so the only thing
that stands between them and the rows is their role (surveys.access)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from exports.models import AuditAction, AuditEntry, ExportJob
from respondents.models import (
    CleaningRun,
    CleaningRunStatus,
    FlagOverride,
    MemberStatus,
    QualityFlag,
    WaveState,
)
from surveys.admin_access import SKIPPED_ROWS
from surveys.models import Questionnaire, StudyMembership, StudyRole
from tests.builders import build_version, make_study
from tests.respondents.three_waves import ThreeWaveStudy, build_three_wave_study
from tests.surveys.personas import Team, login_verified, make_team

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class World:
    panel: ThreeWaveStudy
    team: Team
    rows: dict[str, Any]


@pytest.fixture
def world() -> World:
    panel = build_three_wave_study("panel")
    team = make_team(panel.study, make_study("other"))
    perms = Permission.objects.filter(
        content_type__app_label__in=["surveys", "respondents", "exports"]
    )
    for user in (team.owner, team.manager, team.researcher, team.viewer, team.outsider):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*perms)
    wave = panel.waves[0]
    response = wave.responses.first()
    assert response is not None
    run = CleaningRun.objects.create(
        wave=wave, status=CleaningRunStatus.FINISHED, started_at=timezone.now()
    )
    job = ExportJob.objects.create(
        study=panel.study, waves=[wave.pk], sample="combined", layout="long", format="csv"
    )
    rows = {
        "surveys/study": panel.study,
        "surveys/questionnaire": panel.version.questionnaire,
        "surveys/questionnaireversion": panel.version,
        "surveys/studymembership": StudyMembership.objects.get(user=team.viewer),
        "respondents/wave": wave,
        "respondents/panelmember": panel.members[0],
        "respondents/invitation": wave.invitations.first(),
        "respondents/response": response,
        "respondents/cleaningrun": run,
        "respondents/qualityflag": QualityFlag.objects.create(
            response=response, run=run, rule="speeder", score=1.0
        ),
        "respondents/flagoverride": FlagOverride.objects.create(
            response=response, rule="speeder", reason="checked", decided_by=team.researcher
        ),
        "exports/exportjob": job,
        "exports/auditentry": AuditEntry.objects.create(
            job=job, study=panel.study, user=team.researcher, action=AuditAction.EXPORT_REQUESTED
        ),
    }
    return World(panel, team, rows)


def _login(client, user) -> None:
    """Sign in past the second factor (owners and managers must have passed it)."""
    client.logout()
    login_verified(client, user)


ADMINS = [
    "surveys/study",
    "surveys/questionnaire",
    "surveys/questionnaireversion",
    "surveys/studymembership",
    "respondents/wave",
    "respondents/panelmember",
    "respondents/invitation",
    "respondents/response",
    "respondents/cleaningrun",
    "respondents/qualityflag",
    "respondents/flagoverride",
    "exports/exportjob",
    "exports/auditentry",
]
# Who sees study A's row in each admin: owner, manager, researcher, viewer.
VISIBLE = {
    "surveys/study": (True, True, True, True),
    "surveys/questionnaire": (True, True, True, False),
    "surveys/questionnaireversion": (True, True, True, False),
    "surveys/studymembership": (True, False, False, False),
    "respondents/wave": (True, True, True, True),
    "respondents/panelmember": (True, True, False, False),
    "respondents/invitation": (True, True, False, False),
    "respondents/response": (True, True, True, False),
    "respondents/cleaningrun": (True, True, True, False),
    "respondents/qualityflag": (True, True, True, False),
    "respondents/flagoverride": (True, True, True, False),
    "exports/exportjob": (True, False, True, False),
    "exports/auditentry": (True, False, True, False),
}


def _ids(client, admin: str) -> set[int]:
    reply = client.get(f"/admin/{admin}/")
    assert reply.status_code == 200
    return {row.pk for row in reply.context["cl"].result_list}


@pytest.mark.parametrize("admin", ADMINS)
def test_an_outsider_sees_nothing_of_another_study_in_any_admin(client, world, admin):
    row = world.rows[admin]
    _login(client, world.team.outsider)

    assert row.pk not in _ids(client, admin)
    assert client.get(f"/admin/{admin}/{row.pk}/change/").status_code == 404
    assert client.get(f"/admin/{admin}/{row.pk}/history/").status_code == 404


@pytest.mark.parametrize("admin", ADMINS)
def test_each_role_sees_exactly_the_rows_it_may(client, world, admin):
    row = world.rows[admin]
    team = world.team
    for user, expected in zip(
        (team.owner, team.manager, team.researcher, team.viewer), VISIBLE[admin], strict=True
    ):
        _login(client, user)
        assert (user.username, row.pk in _ids(client, admin)) == (user.username, expected)
        status = client.get(f"/admin/{admin}/{row.pk}/change/").status_code
        assert (user.username, status) == (user.username, 200 if expected else 404)


def test_the_study_filter_offers_only_the_users_studies(client, world):
    # two studies of his own, so that the filter shows (one choice hides it)
    StudyMembership.objects.create(
        study=make_study("zeta"), user=world.team.outsider, role=StudyRole.RESEARCHER
    )
    _login(client, world.team.outsider)
    reply = client.get("/admin/respondents/wave/")
    spec = next(s for s in reply.context["cl"].filter_specs if s.field_path == "study")
    assert [label for _pk, label in spec.lookup_choices] == ["other", "zeta"]
    versions = client.get("/admin/surveys/questionnaireversion/")
    spec = next(
        s for s in versions.context["cl"].filter_specs if s.field_path == "questionnaire__study"
    )
    assert [label for _pk, label in spec.lookup_choices] == ["other", "zeta"]


def _offered(client, admin: str) -> set[str]:
    form = client.get(f"/admin/{admin}/").context["action_form"]
    return set() if form is None else {n for n, _ in form.fields["action"].choices} - {""}


def test_actions_offered_follow_the_role(client, world):
    team = world.team
    expected = {
        team.owner: {"withdraw_action", "erase_contact_action"},
        team.manager: {"withdraw_action", "erase_contact_action"},
        team.researcher: set(),
        team.viewer: set(),
        team.outsider: set(),
    }
    for user, actions in expected.items():
        _login(client, user)
        assert (user.username, _offered(client, "respondents/panelmember")) == (
            user.username,
            actions,
        )
    _login(client, team.researcher)
    assert _offered(client, "respondents/wave") == {"clean_action", "export_action"}
    assert _offered(client, "surveys/questionnaireversion") == {
        "publish",
        "fork",
        "delete_selected",
    }
    _login(client, team.manager)
    assert _offered(client, "respondents/wave") == {
        "invite_panel_action",
        "send_reminders_action",
        "close_action",
        "reopen_action",
    }
    assert _offered(client, "surveys/questionnaireversion") == set()


@pytest.mark.parametrize(
    ("_case", "persona", "admin", "action", "row"),
    [
        ("researcher withdraws", "researcher", "respondents/panelmember", "withdraw_action", 0),
        ("viewer erases", "viewer", "respondents/panelmember", "erase_contact_action", 0),
        ("outsider withdraws", "outsider", "respondents/panelmember", "withdraw_action", 0),
    ],
)
def test_a_member_action_by_the_wrong_role_changes_nothing(
    client, world, _case, persona, admin, action, row
):
    member = world.panel.members[row]
    _login(client, getattr(world.team, persona))

    client.post(f"/admin/{admin}/", {"action": action, "_selected_action": [member.pk]})

    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


@pytest.mark.parametrize("persona", ["researcher", "viewer", "outsider"])
def test_closing_a_wave_is_refused_to_roles_that_do_not_run_fieldwork(client, world, persona):
    wave = world.panel.waves[2]
    _login(client, getattr(world.team, persona))

    client.post(
        "/admin/respondents/wave/", {"action": "close_action", "_selected_action": [wave.pk]}
    )

    wave.refresh_from_db()
    assert wave.state == WaveState.OPEN


def test_the_manager_withdraws_a_member_of_the_study(client, world):
    member = world.panel.members[0]
    _login(client, world.team.manager)

    client.post(
        "/admin/respondents/panelmember/",
        {"action": "withdraw_action", "_selected_action": [member.pk]},
    )

    member.refresh_from_db()
    assert member.status == MemberStatus.WITHDRAWN


def test_an_action_leaves_out_the_rows_of_studies_where_the_role_lacks_the_right(client, world):
    # given Rita, researcher of A, who is also fieldwork manager of a study C
    third = build_three_wave_study("third")
    StudyMembership.objects.create(
        study=third.study, user=world.team.researcher, role=StudyRole.FIELDWORK_MANAGER
    )
    ours, theirs = world.panel.waves[2], third.waves[2]
    _login(client, world.team.researcher)

    # when she closes both open waves at once
    reply = client.post(
        "/admin/respondents/wave/",
        {"action": "close_action", "_selected_action": [ours.pk, theirs.pk]},
        follow=True,
    )

    # then only the wave of C closes, and she is told one was left out
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.state, theirs.state) == (WaveState.OPEN, WaveState.CLOSED)
    assert SKIPPED_ROWS.format(count=1) in [str(m) for m in reply.context["messages"]]


def test_a_researcher_edits_questionnaires_a_manager_only_reads_them(client, world):
    questionnaire = world.panel.version.questionnaire
    url = f"/admin/surveys/questionnaire/{questionnaire.pk}/change/"
    form = {"study": world.panel.study.pk, "name": "renamed", "title": "t"}

    _login(client, world.team.manager)
    assert client.post(url, form).status_code == 403
    _login(client, world.team.researcher)
    assert client.post(url, form).status_code == 302

    questionnaire.refresh_from_db()
    assert questionnaire.name == "renamed"


def test_a_new_questionnaire_can_only_go_to_a_study_the_user_edits(client, world):
    _login(client, world.team.outsider)
    reply = client.post(
        "/admin/surveys/questionnaire/add/",
        {"study": world.panel.study.pk, "name": "sneaky", "title": ""},
    )
    assert reply.status_code == 200
    assert "study" in reply.context["adminform"].form.errors
    assert not Questionnaire.objects.filter(name="sneaky").exists()


def test_only_owners_change_a_study_and_only_superusers_add_one(client, world):
    study = world.panel.study
    url = f"/admin/surveys/study/{study.pk}/change/"
    form = {"slug": study.slug, "title": "New title", "default_language": "ru"}
    form |= {"languages": '["ru", "en"]', "consent_text": "{}"}

    _login(client, world.team.researcher)
    assert client.post(url, form).status_code == 403
    assert client.get("/admin/surveys/study/add/").status_code == 403
    _login(client, world.team.owner)
    assert client.post(url, form).status_code == 302
    study.refresh_from_db()
    assert study.title == "New title"


def test_the_export_action_leads_to_the_export_form_with_the_selected_waves(client, world):
    waves = world.panel.waves[:2]
    _login(client, world.team.researcher)

    reply = client.post(
        "/admin/respondents/wave/",
        {"action": "export_action", "_selected_action": [w.pk for w in waves]},
    )

    slug = world.panel.study.slug
    assert reply.status_code == 302
    assert reply["Location"] == f"/workspace/{slug}/exports/new/?waves={waves[0].pk},{waves[1].pk}"
    form = client.get(reply["Location"]).context["form"]
    assert form["waves"].value() == [str(waves[0].pk), str(waves[1].pk)]


def test_the_export_action_is_refused_to_a_fieldwork_manager(client, world):
    _login(client, world.team.manager)
    client.post(
        "/admin/respondents/wave/",
        {"action": "export_action", "_selected_action": [world.panel.waves[0].pk]},
    )
    assert ExportJob.objects.count() == 1


def test_the_version_admin_links_the_preview(client, world):
    version = world.panel.version
    _login(client, world.team.researcher)
    listing = client.get("/admin/surveys/questionnaireversion/").content.decode()
    page = client.get(f"/admin/surveys/questionnaireversion/{version.pk}/change/")
    assert f'href="/dashboard/versions/{version.pk}/preview/"' in listing
    assert f'href="/dashboard/versions/{version.pk}/preview/"' in page.content.decode()
    assert client.get(f"/dashboard/versions/{version.pk}/preview/").status_code == 200


def test_a_published_version_stays_read_only_for_its_researcher(client, world):
    draft = build_version(world.panel.study, [], publish=False, questionnaire_name="draft")
    _login(client, world.team.researcher)
    page = client.get(f"/admin/surveys/questionnaireversion/{world.panel.version.pk}/change/")
    assert page.context["has_change_permission"] is False
    draft_page = client.get(f"/admin/surveys/questionnaireversion/{draft.pk}/change/")
    assert draft_page.context["has_change_permission"] is True
