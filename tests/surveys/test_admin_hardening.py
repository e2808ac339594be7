"""The admin gives study staff what their role needs and nothing more.

Reproduces two findings of the security probe: a viewer of one study changed a concept of
the shared item bank through the admin (only model permissions guarded it), and
researchers and viewers read raw answers in the admin (unscrubbed free text, exact birth
year, the member's pseudonym). Also: staff see only the project's own models.

Personas (tests/surveys/personas.py): Olga owns study A, Farid is its fieldwork manager,
Rita its researcher, Vera its viewer; Bob is a researcher of study B only. Each is staff and
holds every model permission a broad group might hand out.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from surveys.models import ItemBankConcept
from tests.builders import make_study, make_user
from tests.respondents.fieldwork import add_response, make_fieldwork_study, make_member, make_wave
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db

SECRET_ANSWER = "born 1987 in Kazan, write to me at ivan.p"


@pytest.fixture
def study_a():
    study, version = make_fieldwork_study("alpha")
    wave = make_wave(study, version, "w1")
    member = make_member(study, email="anna@example.org", telegram="anna_tg_1")
    response = add_response(wave, member=member, answers={"age": 37, "comment": SECRET_ANSWER})
    return study, response


@pytest.fixture
def team(study_a):
    team = make_team(study_a[0], make_study("beta"))
    # Every model permission (add, change, delete, view of every model); not the
    # project-wide item-bank permission, which a superuser grants on purpose.
    everything = Permission.objects.exclude(codename="edit_item_bank")
    for user in (team.owner, team.manager, team.researcher, team.viewer, team.outsider):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*everything)
    return team


@pytest.fixture
def concept():
    return ItemBankConcept.objects.create(key="trust_people", label="Most people can be trusted")


# -- the item bank --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "researcher", "outsider"])
def test_study_staff_cannot_change_the_item_bank(client, team, concept, who):
    client.force_login(getattr(team, who))
    url = f"/admin/surveys/itembankconcept/{concept.pk}/change/"

    page = client.get(url)
    posted = client.post(url, {"key": "trust_people", "label": "Changed by staff"})
    deleted = client.post(f"/admin/surveys/itembankconcept/{concept.pk}/delete/", {"post": "yes"})
    added = client.get("/admin/surveys/itembankconcept/add/")

    assert page.status_code == 200  # read-only view: the bank is shared reference data
    assert b"Changed by staff" not in page.content
    assert posted.status_code == 403
    assert deleted.status_code == 403
    assert added.status_code == 403
    concept.refresh_from_db()
    assert concept.label == "Most people can be trusted"


def test_owners_need_the_project_wide_permission_too(client, team, concept):
    login_verified(client, team.owner)

    posted = client.post(
        f"/admin/surveys/itembankconcept/{concept.pk}/change/",
        {"key": "trust_people", "label": "Changed by an owner"},
    )

    assert posted.status_code == 403


def test_a_curator_with_the_project_wide_permission_changes_the_bank(client, concept):
    curator = make_user("curator", is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["edit_item_bank", "view_itembankconcept", "change_itembankconcept"]
        )
    )
    client.force_login(curator)

    posted = client.post(
        f"/admin/surveys/itembankconcept/{concept.pk}/change/",
        {"key": "trust_people", "label": "Curated", "definition": '{"key": "trust_people"}'},
    )

    assert posted.status_code == 302, posted.context["adminform"].form.errors
    concept.refresh_from_db()
    assert concept.label == "Curated"


def test_the_api_offers_no_way_to_change_the_bank(team, concept):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(team.viewer)
    url = f"/api/v1/item-bank/{concept.key}/"

    replies = [
        client.put(url, {"label": "x"}, format="json"),
        client.patch(url, {"label": "x"}, format="json"),
        client.delete(url),
    ]

    assert [reply.status_code for reply in replies] == [405, 405, 405]
    concept.refresh_from_db()
    assert concept.label == "Most people can be trusted"


# -- raw answers ----------------------------------------------------------------------------


def _detail(client: Any, response: Any) -> Any:
    return client.get(f"/admin/respondents/response/{response.pk}/change/")


def test_a_researcher_sees_paradata_and_status_but_not_raw_answers(client, team, study_a):
    _study, response = study_a
    client.force_login(team.researcher)

    page = _detail(client, response)
    listing = client.get("/admin/respondents/response/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Paradata" in html
    assert SECRET_ANSWER not in html
    assert response.member.pseudonym not in html
    assert listing.context["cl"].result_count == 1
    assert response.member.pseudonym not in listing.content.decode()


def test_a_viewer_sees_no_response_at_all(client, team, study_a):
    _study, response = study_a
    client.force_login(team.viewer)

    assert _detail(client, response).status_code == 404
    assert client.get("/admin/respondents/response/").context["cl"].result_count == 0


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_owners_and_fieldwork_managers_read_raw_answers_after_two_factor(
    client, team, study_a, who
):
    _study, response = study_a
    user = getattr(team, who)
    client.force_login(user)
    unverified = _detail(client, response)
    login_verified(client, user)

    page = _detail(client, response)

    assert unverified.status_code == 302  # sent to the second factor first
    assert page.status_code == 200
    assert SECRET_ANSWER in page.content.decode()
    assert response.member.pseudonym in page.content.decode()


# -- the project's own models only ------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/group/", "/admin/authtoken/tokenproxy/"]
)
def test_study_staff_cannot_open_accounts_or_tokens(client, team, url):
    client.force_login(team.researcher)

    assert client.get(url).status_code == 403
    index = client.get("/admin/").content.decode()
    assert "/admin/auth/" not in index
    assert "/admin/authtoken/" not in index
    assert "/admin/surveys/" in index


def test_superusers_keep_the_whole_admin(client, settings):
    settings.PANELWAVE_SUPERUSER_2FA = False
    root = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(root)

    assert client.get("/admin/auth/user/").status_code == 200
    assert "/admin/auth/" in client.get("/admin/").content.decode()
