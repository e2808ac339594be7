"""Retention per study: with the clock moved past each period the data it covers is gone,
the audit log holds the counts, and everything else is intact."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from lxml import html  # type: ignore[import-untyped]

from exports.jobs import delete_expired_exports
from exports.models import AuditAction, AuditEntry, ExportJob, ExportStatus
from exports.retention import apply_retention
from respondents.models import Contact, PanelMember, Response, ResponseStatus
from respondents.services.invitations import withdraw_member
from surveys.models import StudyRole
from tests.builders import make_user
from tests.exports.exporting import member, use_media
from tests.exports.fixtures import build_three_wave_panel
from tests.surveys.personas import login_verified

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


def _retention_entries() -> list[dict[str, int]]:
    entries = AuditEntry.objects.filter(action=AuditAction.RETENTION_APPLIED).order_by("at", "pk")
    return [entry.detail for entry in entries]


def _dry_run() -> list[dict[str, object]]:
    out = io.StringIO()
    call_command("retention", "--dry-run", "--study", "rt", "--json", stdout=out)
    studies = json.loads(out.getvalue())["studies"]
    assert [s["study"] for s in studies] == ["rt"]
    return list(studies[0]["due"])


def test_each_period_deletes_its_data_and_audits_the_counts(media, tmp_path):
    # given: a study keeping contacts 30 days, unfinished responses 10, exports 5
    panel = build_three_wave_panel("rt")
    study = panel.study
    study.contact_retention_days = 30
    study.unfinished_retention_days = 10
    study.export_retention_days = 5
    study.save()
    other = build_three_wave_panel("other")  # default periods, never ended: untouched
    t0 = timezone.now()
    call_command(
        "export_data", "--study", "rt", "--format", "csv", "--sample", "combined",
        "--layout", "long", "--k", "2", "--out", str(tmp_path / "copy"), stdout=io.StringIO(),
    )  # fmt: skip
    job = ExportJob.objects.get(study=study)
    assert job.expires_at is not None
    assert job.finished_at is not None
    assert job.expires_at - job.finished_at == timedelta(days=5)
    export_dir = media / "exports" / str(job.pk)
    assert any(export_dir.iterdir())
    leaver = panel.members["A"][0]
    withdraw_member(leaver, now=t0)
    abandoned = Response.objects.get(wave__study=study, status=ResponseStatus.ABANDONED)
    Response.objects.filter(pk=abandoned.pk).update(updated_at=t0)
    recent = Response.objects.create(
        wave=panel.waves[2], status=ResponseStatus.IN_PROGRESS, started_at=t0, answers={"age": 30}
    )
    Response.objects.filter(pk=recent.pk).update(updated_at=t0 + timedelta(days=9))
    completed = dict(
        Response.objects.filter(status=ResponseStatus.COMPLETED).values_list("pk", "answers")
    )
    members = set(PanelMember.objects.values_list("pk", "pseudonym"))
    contacts = set(Contact.objects.values_list("member_id", flat=True))
    other_contacts = set(Contact.objects.filter(member__study=other.study).values_list("pk"))

    # then: the preview says what will go when
    day = t0.date()
    assert _dry_run() == [
        {"kind": "export_jobs", "day": str(day + timedelta(days=5)), "count": 1},
        {"kind": "unfinished_responses", "day": str(day + timedelta(days=10)), "count": 1},
        {"kind": "unfinished_responses", "day": str(day + timedelta(days=19)), "count": 1},
        {"kind": "contacts", "day": str(day + timedelta(days=30)), "count": 1},
    ]

    # when: the clock is just short of the first period, nothing goes
    apply_retention(t0 + timedelta(days=4))
    assert _retention_entries() == []

    # when: past the export period, the export's files go
    apply_retention(t0 + timedelta(days=6))
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED
    assert job.files == []
    assert not export_dir.exists()
    assert _retention_entries() == [{"contacts": 0, "unfinished_responses": 0, "export_jobs": 1}]

    # when: past the unfinished period of the abandoned response, but not the recent one's
    apply_retention(t0 + timedelta(days=11))
    assert not Response.objects.filter(pk=abandoned.pk).exists()
    assert Response.objects.filter(pk=recent.pk).exists()
    assert _retention_entries()[-1] == {
        "contacts": 0,
        "unfinished_responses": 1,
        "export_jobs": 0,
    }

    # when: past the contact period of the member who left
    apply_retention(t0 + timedelta(days=31))
    assert not Contact.objects.filter(member=leaver).exists()
    assert set(Contact.objects.values_list("member_id", flat=True)) == contacts - {leaver.pk}
    assert _retention_entries()[-1] == {
        "contacts": 1,
        "unfinished_responses": 1,
        "export_jobs": 0,
    }

    # when: the study ends, and its contact period passes
    study.ended_at = t0 + timedelta(days=40)
    study.save()
    apply_retention(t0 + timedelta(days=69))
    assert Contact.objects.filter(member__study=study).count() == len(contacts) - 1 - len(
        other_contacts
    )
    apply_retention(t0 + timedelta(days=71))
    assert not Contact.objects.filter(member__study=study).exists()

    # then: everything else is intact: members, completed answers, the other study
    assert set(PanelMember.objects.values_list("pk", "pseudonym")) == members
    assert (
        dict(Response.objects.filter(status=ResponseStatus.COMPLETED).values_list("pk", "answers"))
        == completed
    )
    assert set(Contact.objects.filter(member__study=other.study).values_list("pk")) == (
        other_contacts
    )
    # (its abandoned response is within the default 90 days)
    assert not AuditEntry.objects.filter(action=AuditAction.RETENTION_APPLIED, study=other.study)
    assert Response.objects.filter(wave__study=other.study).count() == len(other.responses)
    assert [e.study.slug for e in AuditEntry.objects.filter(action=AuditAction.EXPORT_BUILT)] == [
        "rt"
    ]


def test_the_hourly_export_sweep_audits_what_it_deletes(media, tmp_path, settings):
    panel = build_three_wave_panel("sw")
    call_command(
        "export_data", "--study", "sw", "--format", "csv", "--sample", "combined",
        "--layout", "long", "--k", "2", "--out", str(tmp_path / "copy"), stdout=io.StringIO(),
    )  # fmt: skip
    ExportJob.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    assert delete_expired_exports() == 1

    assert ExportJob.objects.get().status == ExportStatus.EXPIRED
    entry = AuditEntry.objects.get(action=AuditAction.RETENTION_APPLIED)
    assert entry.study == panel.study
    assert entry.detail["export_jobs"] == 1
    assert not Path(media / "exports" / str(ExportJob.objects.get().pk)).exists()


def test_the_workspace_shows_what_will_go_when_to_the_team_only(media):
    # given: a member who left ten days ago and an unfinished response idle for a day
    panel = build_three_wave_panel("ws")
    panel.study.contact_retention_days = 30
    panel.study.save()
    now = timezone.now()
    withdraw_member(panel.members["A"][0], now=now - timedelta(days=10))
    Response.objects.filter(wave__study=panel.study, status=ResponseStatus.ABANDONED).update(
        updated_at=now - timedelta(days=1)
    )
    viewer = member(panel.study, "viewer", StudyRole.VIEWER)
    outsider = make_user("outsider")

    # when
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    login_verified(client, viewer)
    page = client.get(f"/workspace/{panel.study.slug}/retention/")

    # then: the periods and each day's deletions, in the viewer's language
    assert page.status_code == 200
    tree = html.fromstring(page.content.decode())
    rows = [
        (row.get("data-kind"), [cell.text_content().strip() for cell in row.findall("td")])
        for row in tree.xpath("//table[@id='retention']/tbody/tr")
    ]
    day = now.date()
    assert rows == [
        ("contacts", [str(day + timedelta(days=20)), "контактные данные", "1"]),
        ("unfinished_responses", [str(day + timedelta(days=89)), "незавершённые анкеты", "1"]),
    ]
    assert "Сроки хранения данных" in page.content.decode()
    assert "через 30 дн." in page.content.decode()

    # and: someone without a role on the study does not learn it exists
    stranger = Client()
    login_verified(stranger, outsider)
    assert stranger.get(f"/workspace/{panel.study.slug}/retention/").status_code == 404
