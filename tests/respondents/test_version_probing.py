"""Opening a wave with another study's version id gets the same answer as an unknown id.

The probe found a 400 "belongs to another study" where an unknown id answered 404, which
tells a member of one study which version ids exist in the others.
"""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from respondents.models import Wave
from surveys.models import StudyMembership, StudyRole
from tests.builders import build_version, make_study, make_user
from tests.respondents.fieldwork import make_fieldwork_study

pytestmark = pytest.mark.django_db
PAGES = [{"name": "p", "questions": [{"name": "q", "type": "text", "labels": {"en": "Q"}}]}]


@pytest.fixture
def two_studies():
    study, version = make_fieldwork_study()
    other = make_study("other")
    other_version = build_version(other, PAGES)
    unknown = other_version.pk + 1000
    return study, version, other_version, unknown


def test_the_api_answers_another_studys_version_as_an_unknown_one(two_studies):
    study, _version, other_version, unknown = two_studies
    user = make_user("manager")
    StudyMembership.objects.create(study=study, user=user, role=StudyRole.FIELDWORK_MANAGER)
    client = APIClient()
    client.force_authenticate(user)

    def open_with(version_id: int):
        body = {"study": study.slug, "version": version_id, "name": f"w-{version_id}"}
        return client.post("/api/v1/waves/", body, format="json")

    foreign, missing = open_with(other_version.pk), open_with(unknown)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert not Wave.objects.exists()


def test_the_command_answers_another_studys_version_as_an_unknown_one(two_studies):
    study, _version, other_version, unknown = two_studies
    messages = []
    for version_id in (other_version.pk, unknown):
        with pytest.raises(CommandError) as refused:
            call_command(
                "open_wave", "--study", study.slug, "--version", str(version_id), "--name", "x"
            )
        messages.append(str(refused.value).replace(str(version_id), "ID"))

    assert messages[0] == messages[1] == "no questionnaire version ID"
    assert not Wave.objects.exists()
