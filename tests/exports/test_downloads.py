from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from exports.jobs import run_export_job
from exports.models import AuditAction, AuditEntry, ExportJob
from exports.services import DownloadLink, DownloadRefused, make_download_links, resolve_download
from exports.services.downloads import (
    REFUSED_ACCESS,
    REFUSED_EXPIRED,
    REFUSED_OTHER_USER,
    REFUSED_SIGNATURE,
)
from surveys.models import StudyRole
from tests.builders import make_study, make_user
from tests.exports.exporting import member, use_media
from tests.exports.fixtures import build_three_wave_panel

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


@pytest.fixture
def built(media):
    panel = build_three_wave_panel()
    alice = member(panel.study, "alice")
    job = ExportJob.objects.create(
        study=panel.study,
        waves=list(panel.wave_ids),
        sample="combined",
        layout="long",
        format="csv",
        options={"k": 2},
        requested_by=alice,
    )
    return panel, alice, run_export_job(job.pk)


def _token(link: DownloadLink) -> str:
    return str(link.url).rstrip("/").rsplit("/", 1)[-1]


def _csv_link(job: ExportJob, user: Any) -> DownloadLink:
    return next(link for link in make_download_links(job, user) if link.file.endswith(".csv"))


def test_the_requester_downloads_the_file_through_the_view_and_it_is_audited(client, built):
    _, alice, job = built
    link = _csv_link(job, alice)
    client.force_login(alice)

    response = client.get(link.url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.splitlines()[0].startswith("pid,wave,version")
    entry = AuditEntry.objects.get(action=AuditAction.DOWNLOADED)
    assert (entry.user, entry.job, entry.detail) == (alice, job, {"file": link.file})


def test_a_link_followed_by_another_user_is_refused_with_403_and_audited(client, built):
    panel, alice, job = built
    link = _csv_link(job, alice)
    owner = member(panel.study, "olga", StudyRole.RESEARCHER)
    client.force_login(owner)

    response = client.get(link.url)

    assert response.status_code == 403
    assert response.json() == {"detail": REFUSED_OTHER_USER, "field": None}
    entry = AuditEntry.objects.get(action=AuditAction.DOWNLOAD_REFUSED)
    assert entry.user == owner
    assert entry.detail["reason"] == REFUSED_OTHER_USER
    assert not AuditEntry.objects.filter(action=AuditAction.DOWNLOADED).exists()


def test_an_expired_link_is_refused_and_audited(built, settings):
    _, alice, job = built
    link = _csv_link(job, alice)
    settings.EXPORT_LINK_TTL = timedelta(seconds=-1)

    with pytest.raises(DownloadRefused, match=REFUSED_EXPIRED):
        resolve_download(_token(link), alice)

    assert AuditEntry.objects.get(action=AuditAction.DOWNLOAD_REFUSED).job == job


def test_a_tampered_link_is_refused(built):
    _, alice, job = built
    token = _token(_csv_link(job, alice))

    with pytest.raises(DownloadRefused, match=REFUSED_SIGNATURE):
        resolve_download(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), alice)


def test_a_browser_following_a_refused_link_gets_a_small_page(client, built):
    panel, alice, job = built
    link = _csv_link(job, alice)
    client.force_login(member(panel.study, "olga", StudyRole.RESEARCHER))

    response = client.get(link.url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert f'<p id="reason">{REFUSED_OTHER_USER}</p>' in response.content.decode()


def test_the_requester_who_lost_her_role_is_refused(built):
    # given Alice's own export, and the link she was given for it
    _, alice, job = built
    link = _csv_link(job, alice)

    # when her role on the study is revoked
    alice.study_memberships.all().delete()

    # then the link no longer opens, though she is still the requester
    assert job.requested_by == alice
    with pytest.raises(DownloadRefused, match=REFUSED_ACCESS):
        resolve_download(_token(link), alice)
    with pytest.raises(DownloadRefused, match=REFUSED_ACCESS):
        make_download_links(job, alice)


@pytest.mark.parametrize(
    "persona", ["another_researcher", "viewer", "other_study_researcher", "anonymous"]
)
def test_links_are_made_only_for_the_requester_and_study_admins(built, persona):
    panel, _, job = built
    user = {
        "another_researcher": lambda: member(panel.study, "rita"),
        "viewer": lambda: member(panel.study, "vera", StudyRole.VIEWER),
        "other_study_researcher": lambda: member(make_study("other"), "carol"),
        "anonymous": AnonymousUser,
    }[persona]()

    with pytest.raises(DownloadRefused, match=REFUSED_ACCESS):
        make_download_links(job, user)


def test_a_superuser_and_a_study_owner_get_links_for_every_file(built):
    panel, _, job = built
    root = make_user("root", is_superuser=True, is_staff=True)
    owner = member(panel.study, "oscar", StudyRole.OWNER)

    assert len(make_download_links(job, root)) == len(job.files) == 5
    assert len(make_download_links(job, owner)) == 5
