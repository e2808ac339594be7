"""Named personas for permission tests: the team of study A, and Bob from study B."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from surveys.models import Study, StudyMembership, StudyRole
from tests.builders import make_user


@dataclass(frozen=True)
class Team:
    owner: Any  # Olga, owner of A
    manager: Any  # Farid, fieldwork manager of A
    researcher: Any  # Rita, researcher of A
    viewer: Any  # Vera, viewer of A
    outsider: Any  # Bob, researcher of B only


def make_team(study_a: Study, study_b: Study) -> Team:
    team = Team(
        owner=make_user("olga"),
        manager=make_user("farid"),
        researcher=make_user("rita"),
        viewer=make_user("vera"),
        outsider=make_user("bob"),
    )
    for user, study, role in [
        (team.owner, study_a, StudyRole.OWNER),
        (team.manager, study_a, StudyRole.FIELDWORK_MANAGER),
        (team.researcher, study_a, StudyRole.RESEARCHER),
        (team.viewer, study_a, StudyRole.VIEWER),
        (team.outsider, study_b, StudyRole.RESEARCHER),
    ]:
        StudyMembership.objects.create(study=study, user=user, role=role)
    return team


def login_verified(client: Client, user: Any) -> None:
    """Sign in as someone who has passed the second factor in this session."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
