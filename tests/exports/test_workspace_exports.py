"""Exports in the staff workspace: requesting one with the command's options, following
it, reading its verdict in words, downloading its files; each role's limits; refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from django.test import Client
from lxml import html  # type: ignore[import-untyped]

from exports.describe import describe_disclosure
from exports.models import AuditAction, AuditEntry, ExportJob
from exports.services.requests import ERROR_K, ERROR_WAVE
from exports.workspace.verdict import describe_report
from surveys.models import StudyRole
from tests.builders import make_study
from tests.exports.exporting import member, use_media
from tests.exports.fixtures import build_three_wave_panel
from tests.respondents.fieldwork import make_fieldwork_study, make_wave
from tests.surveys.personas import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


@pytest.fixture
def panel(media):
    return build_three_wave_panel()


def _as(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _page(reply: Any) -> Any:
    return html.fromstring(reply.content.decode())


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def _form(panel: Any, **changes: Any) -> dict[str, Any]:
    return {
        "waves": [str(pk) for pk in panel.wave_ids[:2]],
        "sample": "combined",
        "layout": "long",
        "format": "sav",
        "language": "ru",
        "k": "2",
        "max_global_risk": "0.5",
        "free_text": "scrub",
        **changes,
    }


def test_researcher_requests_an_spss_export_reads_its_verdict_and_downloads_it(
    panel, media, django_capture_on_commit_callbacks
):
    # given
    rita = member(panel.study, "rita")
    client = _as(rita)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(f"/workspace/{panel.study.slug}/exports/new/", _form(panel))
    job = ExportJob.objects.get()
    page = _page(client.get(reply["Location"]))
    # then
    assert reply["Location"] == f"/workspace/{panel.study.slug}/exports/{job.pk}/"
    assert (job.format, job.waves, job.options["k"], job.requested_by) == (
        "sav",
        list(panel.wave_ids[:2]),
        2,
        rita,
    )
    assert _text(page.get_element_by_id("job-status")) == "Done"
    assert not page.xpath("//meta[@http-equiv='refresh']")
    words = describe_report(job.disclosure_report)
    assert _text(page.get_element_by_id("verdict-headline")) == words.verdict[0]
    links = page.xpath("//ul[@id='files']//a")
    sav = next(link for link in links if link.text.endswith(".sav"))
    download = client.get(sav.get("href"), HTTP_ACCEPT="text/html")
    assert download.status_code == 200
    saved = media / "downloaded.sav"
    saved.write_bytes(b"".join(download.streaming_content))  # type: ignore[attr-defined]
    frame, _meta = pyreadstat.read_sav(str(saved))
    assert len(frame) == job.rows
    assert AuditEntry.objects.filter(job=job, action=AuditAction.DOWNLOADED).count() == 1


def test_a_queued_export_page_reloads_itself_and_shows_its_progress(panel):
    rita = member(panel.study, "rita")
    job = ExportJob.objects.create(
        study=panel.study,
        waves=[],
        sample="combined",
        layout="long",
        format="csv",
        options={"k": 5},
        requested_by=rita,
        status="running",
        progress=40,
    )
    page = _page(_as(rita).get(f"/workspace/{panel.study.slug}/exports/{job.pk}/"))
    assert page.xpath("//meta[@http-equiv='refresh']")
    assert page.xpath("//progress/@value") == ["40"]
    assert not page.xpath("//ul[@id='files']")


def test_a_wave_of_another_study_is_refused_by_name_and_nothing_is_saved(panel):
    other_study, other_version = make_fieldwork_study("other")
    foreign = make_wave(other_study, other_version, "theirs")
    reply = _as(member(panel.study, "rita")).post(
        f"/workspace/{panel.study.slug}/exports/new/", _form(panel, waves=[str(foreign.pk)])
    )
    assert reply.status_code == 400
    errors = _text(_page(reply).get_element_by_id("field-waves"))
    assert ERROR_WAVE.format(wave=str(foreign.pk), study=panel.study.slug) in errors
    assert not ExportJob.objects.exists()


def test_a_k_out_of_range_is_refused_on_the_page(panel):
    reply = _as(member(panel.study, "rita")).post(
        f"/workspace/{panel.study.slug}/exports/new/", _form(panel, k="500")
    )
    assert reply.status_code == 400
    assert reply.context["form"].errors["k"] == [ERROR_K.format(k=500)]
    assert not ExportJob.objects.exists()


def test_every_format_of_the_command_is_offered(panel):
    page = _page(
        _as(member(panel.study, "rita")).get(f"/workspace/{panel.study.slug}/exports/new/")
    )
    offered = set(page.xpath("//input[@name='format']/@value"))
    assert offered == {"csv", "sav", "dta", "parquet", "rds"}
    assert set(page.xpath("//input[@name='sample']/@value")) == {"combined", "panel", "balanced"}
    assert set(page.xpath("//input[@name='layout']/@value")) == {"long", "wide"}
    assert set(page.xpath("//input[@name='free_text']/@value")) == {"scrub", "withhold"}
    assert page.xpath("//input[@name='include_flagged']")
    assert page.xpath("//input[@name='max_global_risk']")
    assert set(page.xpath("//select[@name='language']/option/@value")) == {"ru", "en"}


@pytest.mark.parametrize("role", [StudyRole.VIEWER, StudyRole.FIELDWORK_MANAGER])
def test_roles_without_export_cannot_export_or_see_exports(panel, role):
    client = _as(member(panel.study, "someone", role))
    base = f"/workspace/{panel.study.slug}/exports/"
    assert client.get(base).status_code == 403
    assert client.get(f"{base}new/").status_code == 403
    assert client.post(f"{base}new/", _form(panel)).status_code == 403
    assert not ExportJob.objects.exists()


def test_an_outsider_gets_404_and_a_job_of_another_study_is_404(panel):
    other = make_study("other")
    bob = member(other, "bob")
    rita = member(panel.study, "rita")
    job = ExportJob.objects.create(
        study=panel.study,
        waves=[],
        sample="combined",
        layout="long",
        format="csv",
        options={"k": 5},
        requested_by=rita,
    )
    assert _as(bob).get(f"/workspace/{panel.study.slug}/exports/").status_code == 404
    assert _as(bob).get(f"/workspace/other/exports/{job.pk}/").status_code == 404


def test_a_second_researcher_sees_the_job_but_gets_no_download_links(
    panel, django_capture_on_commit_callbacks
):
    rita = member(panel.study, "rita")
    with django_capture_on_commit_callbacks(execute=True):
        _as(rita).post(f"/workspace/{panel.study.slug}/exports/new/", _form(panel, format="csv"))
    job = ExportJob.objects.get()
    client = _as(member(panel.study, "sam"))
    page = _page(client.get(f"/workspace/{panel.study.slug}/exports/{job.pk}/"))
    assert not page.xpath("//ul[@id='files']")
    name = Path(job.files[0]).name
    assert (
        client.get(f"/workspace/{panel.study.slug}/exports/{job.pk}/files/{name}/").status_code
        == 403
    )


def test_the_dashboard_lists_download_links_that_lead_to_the_file(
    panel, django_capture_on_commit_callbacks
):
    # given
    rita = member(panel.study, "rita")
    client = _as(rita)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/workspace/{panel.study.slug}/exports/new/", _form(panel, format="dta"))
    job = ExportJob.objects.get()
    # when
    page = _page(client.get(f"/dashboard/studies/{panel.study.slug}/"))
    hrefs = page.xpath("//table[@id='exports']//td[@class='files']/a/@href")
    # then
    assert hrefs == [
        f"/workspace/{panel.study.slug}/exports/{job.pk}/files/{Path(f).name}/" for f in job.files
    ]
    signed = client.get(hrefs[0])
    assert signed.status_code == 302
    assert signed["Location"].startswith("/api/v1/exports/download/")
    assert client.get(signed["Location"]).status_code == 200


def test_the_verdict_says_a_failed_gate_and_what_was_coarsened_and_scrubbed():
    report = {
        "release_gate": {"passed": False, "failures": ["k reached 2 < 5"]},
        "rows": 200,
        "k_required": 5,
        "k_reached": 2,
        "quasi_identifiers": ["age", "country"],
        "suppressed_share": {"age": 0.1, "country": 0.0},
        "coarsening": {"age": ["coarsened to 5-unit bands"], "country": []},
        "scrubbed": {"EMAIL_ADDRESS": 3, "URL": 0},
    }
    words = describe_report(report)
    assert words.passed is False
    assert words.verdict == describe_disclosure(report, "en")
    assert "NOT ANONYMOUS" in words.verdict[0]
    assert words.coarsened == ["age coarsened: coarsened to 5-unit bands."]
    assert words.scrubbed == ["Free text: 3 e-mail addresses replaced by a tag."]


def test_a_job_without_a_report_says_so():
    words = describe_report({})
    assert (words.passed, words.verdict) == (None, ["No disclosure report yet."])
