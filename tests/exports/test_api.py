from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from exports.models import ExportJob, ExportStatus
from exports.services.downloads import REFUSED_ACCESS
from exports.services.requests import MAX_K
from surveys.models import StudyRole
from tests.builders import make_study
from tests.exports.exporting import member, use_media
from tests.exports.fixtures import EXPECTED_ROWS, build_three_wave_panel

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


@pytest.fixture
def api():
    return APIClient()


def test_create_answers_202_with_the_job_url_then_status_and_links(
    api, media, django_capture_on_commit_callbacks
):
    # given a researcher on the study
    panel = build_three_wave_panel()
    alice = member(panel.study, "alice")
    api.force_login(alice)

    # when she requests a balanced wide Stata export
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/exports/",
            {"study": "panel", "sample": "balanced", "layout": "wide", "format": "dta", "k": 2},
            format="json",
        )

    # then the job's URL comes back at once, and it reports the finished export
    assert created.status_code == 202
    job = ExportJob.objects.get()
    # built from SITE_URL, not from the request's Host header
    assert created["Location"] == f"{settings.SITE_URL}/api/v1/exports/{job.pk}/"
    status = api.get(created["Location"]).json()
    assert status["status"] == ExportStatus.DONE
    assert status["progress"] == 100
    assert status["rows"] == EXPECTED_ROWS[("balanced", "wide", False)]
    assert f"panel-balanced-wide-{job.pk}.dta" in status["files"]
    links = api.post(f"/api/v1/exports/{job.pk}/links/").json()
    assert {link["file"] for link in links} == set(status["files"])
    data = next(link for link in links if link["file"].endswith(".dta"))
    assert api.get(data["url"]).status_code == 200


def test_create_names_the_bad_field(api):
    panel = build_three_wave_panel()
    api.force_login(member(panel.study, "alice"))

    response = api.post("/api/v1/exports/", {"study": "panel", "k": 1}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "k"
    assert ExportJob.objects.count() == 0


def test_a_researcher_of_another_study_can_neither_create_nor_see_an_export(api):
    panel = build_three_wave_panel()
    job = ExportJob.objects.create(
        study=panel.study,
        waves=list(panel.wave_ids),
        sample="combined",
        layout="long",
        format="csv",
    )
    api.force_login(member(make_study("other"), "carol"))

    existing = api.post("/api/v1/exports/", {"study": "panel"}, format="json")
    unknown = api.post("/api/v1/exports/", {"study": "nowhere"}, format="json")

    # the same answer for a study that exists and one that does not
    assert (existing.status_code, existing.json()) == (unknown.status_code, unknown.json())
    assert existing.status_code == 404
    assert existing.json()["field"] == "study"
    assert ExportJob.objects.count() == 1
    assert api.get(f"/api/v1/exports/{job.pk}/").status_code == 404
    assert api.post(f"/api/v1/exports/{job.pk}/links/").status_code == 404


def test_a_viewer_of_the_study_is_refused_with_403(api):
    panel = build_three_wave_panel()
    api.force_login(member(panel.study, "vera", StudyRole.VIEWER))

    reply = api.post("/api/v1/exports/", {"study": "panel"}, format="json")

    assert reply.status_code == 403
    assert ExportJob.objects.count() == 0


@pytest.mark.parametrize("k", [MAX_K + 1, 300])
def test_a_k_above_the_bound_is_refused_naming_k(api, k):
    panel = build_three_wave_panel()
    api.force_login(member(panel.study, "alice"))

    reply = api.post("/api/v1/exports/", {"study": "panel", "k": k}, format="json")

    assert reply.status_code == 400
    assert reply.json()["field"] == "k"
    assert ExportJob.objects.count() == 0


def test_a_k_no_group_can_reach_fails_the_job_instead_of_the_request(
    api, media, django_capture_on_commit_callbacks
):
    # given a panel whose waves hold far fewer than 50 rows each
    panel = build_three_wave_panel()
    api.force_login(member(panel.study, "alice"))

    # when an export with the largest k allowed is requested
    with django_capture_on_commit_callbacks(execute=True):
        reply = api.post("/api/v1/exports/", {"study": "panel", "k": MAX_K}, format="json")

    # then the request is accepted and the job fails at once, saying why
    assert reply.status_code == 202
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED
    assert "k-anonymity with k=50 is impossible" in job.error
    assert job.attempts == 1


def test_a_requester_whose_role_was_revoked_can_no_longer_reach_the_job(
    api, media, django_capture_on_commit_callbacks
):
    # given an export Alice requested and could follow
    panel = build_three_wave_panel()
    alice = member(panel.study, "alice")
    api.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/exports/", {"study": "panel", "k": 2}, format="json")
    job = ExportJob.objects.get()
    links = api.post(f"/api/v1/exports/{job.pk}/links/").json()

    # when her role on the study is revoked
    alice.study_memberships.all().delete()

    # then neither the job, nor new links, nor the links she already has, work
    assert job.requested_by == alice
    assert api.get(f"/api/v1/exports/{job.pk}/").status_code == 404
    assert api.post(f"/api/v1/exports/{job.pk}/links/").status_code == 404
    refused = api.get(links[0]["url"])
    assert refused.status_code == 403
    assert refused.json() == {"detail": REFUSED_ACCESS, "field": None}
