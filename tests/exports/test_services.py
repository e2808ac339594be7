from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from exports.models import AuditAction, AuditEntry, ExportJob, ExportStatus
from exports.services import request_export
from exports.services.requests import ERROR_K, ERROR_PERMISSION, ERROR_WAVE
from surveys.models import StudyRole
from tests.builders import make_study
from tests.exports.exporting import member, use_media
from tests.exports.fixtures import build_three_wave_panel

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


def test_request_export_saves_audits_and_builds_the_job_after_commit(
    media, django_capture_on_commit_callbacks
):
    panel = build_three_wave_panel()
    alice = member(panel.study, "alice")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = request_export(
            panel.study.slug, requested_by=alice, waves=["w3", "w1"], format="parquet", k=3
        )

    job.refresh_from_db()
    assert len(callbacks) == 1
    assert job.status == ExportStatus.DONE
    assert job.waves == [panel.waves[0].pk, panel.waves[2].pk]
    assert job.options == {
        "k": 3,
        "include_flagged": False,
        "language": "ru",
        "free_text": "scrub",
        "max_global_risk": 0.01,
        "missing_codes": False,
        "restricted": False,
    }
    entry = AuditEntry.objects.get(job=job, action=AuditAction.EXPORT_REQUESTED)
    assert entry.user == alice
    assert entry.detail["format"] == "parquet"


@pytest.mark.parametrize(
    ("_case", "options", "field"),
    [
        ("k below 2", {"k": 1}, "k"),
        ("unknown format", {"format": "xlsx"}, "format"),
        ("unknown sample", {"sample": "everyone"}, "sample"),
        ("unknown layout", {"layout": "tall"}, "layout"),
        ("language not in study", {"language": "de"}, "language"),
        ("wave of another study", {"waves": ["other-w1"]}, "waves"),
        ("wave twice", {"waves": ["w1", "w1"]}, "waves"),
        ("risk limit of 0", {"max_global_risk": 0}, "max_global_risk"),
        ("risk limit above 1", {"max_global_risk": 1.5}, "max_global_risk"),
        ("risk limit as a boolean", {"max_global_risk": True}, "max_global_risk"),
    ],
)
def test_request_export_refuses_bad_input_and_saves_nothing(_case, options, field):
    panel = build_three_wave_panel()

    with pytest.raises(ValidationError) as raised:
        request_export(panel.study, requested_by=None, **options)

    assert field in raised.value.message_dict
    assert ExportJob.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_request_export_names_the_wave_and_the_k_in_its_messages():
    panel = build_three_wave_panel()

    with pytest.raises(ValidationError) as wave:
        request_export(panel.study, requested_by=None, waves=["w9"])
    with pytest.raises(ValidationError) as k:
        request_export(panel.study, requested_by=None, k=0)

    assert wave.value.message_dict["waves"] == [ERROR_WAVE.format(wave="w9", study="panel")]
    assert k.value.message_dict["k"] == [ERROR_K.format(k=0)]


@pytest.mark.parametrize("role", [StudyRole.VIEWER, StudyRole.FIELDWORK_MANAGER])
def test_request_export_refuses_roles_that_do_not_see_microdata(role):
    panel = build_three_wave_panel()
    bob = member(panel.study, "bob", role)

    with pytest.raises(PermissionDenied, match=ERROR_PERMISSION):
        request_export(panel.study, requested_by=bob)

    assert ExportJob.objects.count() == 0


def test_request_export_refuses_a_researcher_of_another_study():
    panel = build_three_wave_panel()
    carol = member(make_study("other"), "carol")

    with pytest.raises(PermissionDenied):
        request_export(panel.study, requested_by=carol)
