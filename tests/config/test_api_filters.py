"""Every API filter answers bad input with a 400 naming the field, never a 500.

The probe that found `?rule=%25s` crashing the flags list (a refusal message holding the
caller's `%s` was %-formatted again) is repeated here for every filter of every list.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from surveys.models import StudyMembership, StudyRole
from tests.builders import make_user
from tests.respondents.cleaning_wave import build_cleaning_wave

pytestmark = pytest.mark.django_db

NASTY = [
    "%s",
    "%(x)s",
    "%d%%",
    "{x}",
    "{0}",
    "\x00",
    "a\x00b",
    "99999999999999999999999",
    "-1e400",
    "NaN",
    "Infinity",
    "' OR 1=1 --",
    "x" * 5000,
]


@pytest.fixture
def planted():
    return build_cleaning_wave()


@pytest.fixture
def owner(planted):
    user = make_user("owner")
    StudyMembership.objects.create(study=planted.wave.study, user=user, role=StudyRole.OWNER)
    client = APIClient()
    client.force_authenticate(user)
    return client


def lists(planted) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (f"/api/v1/waves/{planted.wave.pk}/flags/", ("rule",)),
        ("/api/v1/waves/", ("study", "state")),
        ("/api/v1/panel-members/", ("study", "status", "recruited_in")),
    ]


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_no_filter_value_makes_the_api_fail(planted, owner, value):
    for url, fields in lists(planted):
        for field in fields:
            reply = owner.get(url, {field: value})

            assert reply.status_code in (200, 400), (url, field, reply.status_code)
            if reply.status_code == 400:
                assert reply.json()["field"] == field


def test_a_percent_in_the_rule_filter_is_a_400_naming_rule(planted, owner):
    # given the URL the probe sent
    url = f"/api/v1/waves/{planted.wave.pk}/flags/?rule=%25s"

    reply = owner.get(url)

    assert reply.status_code == 400
    assert reply.json()["field"] == "rule"
    assert "'%s'" in reply.json()["detail"]


@pytest.mark.parametrize("value", ["0", "-1", "abc", "%s", "\x00", "9" * 30])
def test_a_bad_page_number_is_a_404_or_400_not_a_500(planted, owner, value):
    reply = owner.get("/api/v1/waves/", {"page": value})

    assert reply.status_code in (400, 404)
