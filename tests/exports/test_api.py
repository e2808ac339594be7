from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from exports.models import ExportJob, ExportStatus
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
    assert created["Location"] == f"http://testserver/api/v1/exports/{job.pk}/"
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

    assert api.post("/api/v1/exports/", {"study": "panel"}, format="json").status_code == 403
    assert api.get(f"/api/v1/exports/{job.pk}/").status_code == 404
    assert api.post(f"/api/v1/exports/{job.pk}/links/").status_code == 404
