"""Roles in the admin: wave lists and actions are limited to the user's studies and rights."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from respondents.models import CleaningRun
from tests.builders import make_study
from tests.respondents.three_waves import build_three_wave_study
from tests.surveys.personas import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel():
    return build_three_wave_study("panel")


@pytest.fixture
def team(panel):
    team = make_team(panel.study, make_study("other"))
    perms = Permission.objects.filter(codename__in=["view_wave", "change_wave"])
    for user in (team.researcher, team.viewer, team.outsider):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*perms)
    return team


def test_outsider_sees_no_wave_of_another_study(client, panel, team):
    client.force_login(team.outsider)
    reply = client.get("/admin/respondents/wave/")
    assert reply.status_code == 200
    assert reply.context["cl"].result_count == 0
    assert client.get(f"/admin/respondents/wave/{panel.waves[0].pk}/change/").status_code == 404


def test_viewer_is_offered_no_wave_actions(client, panel, team):
    client.force_login(team.viewer)
    reply = client.get("/admin/respondents/wave/")
    assert reply.context["cl"].result_count == 3
    assert reply.context["action_form"] is None


def test_researcher_runs_cleaning_but_is_not_offered_fieldwork(
    client, panel, team, django_capture_on_commit_callbacks
):
    client.force_login(team.researcher)
    reply = client.get("/admin/respondents/wave/")
    offered = {name for name, _label in reply.context["action_form"].fields["action"].choices}
    assert offered == {"", "clean_action", "export_action"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/respondents/wave/",
            {"action": "clean_action", "_selected_action": [panel.waves[0].pk]},
        )
    assert CleaningRun.objects.filter(wave=panel.waves[0]).count() == 1
