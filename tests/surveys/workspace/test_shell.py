"""The workspace shell: the landing page, who sees which study, the referrer policy."""

from __future__ import annotations

import pytest
from django.test import Client

from surveys.models import StudyMembership, StudyRole
from tests.builders import make_study, make_user
from tests.surveys.personas import login_verified

pytestmark = pytest.mark.django_db


def test_landing_page_names_no_study_and_offers_staff_a_sign_in(client: Client):
    make_study("secret-panel")
    page = client.get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "secret-panel" not in body
    assert "Study secret-panel" not in body
    assert 'href="/accounts/login/"' in body


@pytest.mark.parametrize("debug", [True, False])
def test_landing_page_answers_in_debug_and_production(client: Client, settings, debug: bool):
    settings.DEBUG = debug
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/workspace/", "/admin/login/"])
def test_every_page_keeps_its_url_on_the_site_and_lets_forms_post(client: Client, path: str):
    client.force_login(make_user("rita"))
    page = client.get(path, follow=True)
    # same-origin: no Referer leaves for another site; Chromium still sends Origin on posts.
    assert page["Referrer-Policy"] == "same-origin"
    assert 'content="no-referrer"' not in page.content.decode()


def test_my_studies_lists_only_the_callers_studies(client: Client):
    alpha, _beta = make_study("alpha"), make_study("beta")
    rita = make_user("rita")
    StudyMembership.objects.create(study=alpha, user=rita, role=StudyRole.RESEARCHER)
    client.force_login(rita)
    body = client.get("/workspace/").content.decode()
    assert "/workspace/alpha/" in body
    assert "/workspace/beta/" not in body
    assert client.get("/workspace/alpha/").status_code == 200
    assert client.get("/workspace/beta/").status_code == 404
    assert client.get("/workspace/nonexistent/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client: Client):
    make_study("alpha")
    page = client.get("/workspace/alpha/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")


def test_an_owner_is_held_at_the_second_factor(client: Client):
    study = make_study("alpha")
    olga = make_user("olga")
    StudyMembership.objects.create(study=study, user=olga, role=StudyRole.OWNER)
    client.force_login(olga)
    held = client.get("/workspace/alpha/")
    assert held.status_code == 302
    assert held["Location"].startswith("/accounts/two-factor/")
    login_verified(client, olga)
    assert client.get("/workspace/alpha/").status_code == 200
