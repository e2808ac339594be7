# ruff: noqa: RUF001  (Russian labels are meant to be Cyrillic)
"""Workspace pages of a study, through Django's test client: who may do what, and bad input
shown on the page with nothing changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from surveys.models import QuestionnaireVersion, Study, StudyMembership, StudyRole, VersionStatus
from tests.builders import make_study, make_user
from tests.surveys.forms import SURVEY, write_form
from tests.surveys.personas import Team, login_verified, make_team

pytestmark = pytest.mark.django_db

DEMO_PANEL = Path(__file__).resolve().parents[3] / "respondents" / "data" / "demo_panel.xlsx"


@pytest.fixture
def team() -> Team:
    return make_team(make_study("alpha"), make_study("beta"))


def _as(client: Client, user) -> Client:
    login_verified(client, user)
    return client


def _upload(client: Client, path: Path, **extra: str) -> Any:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    return client.post("/workspace/alpha/questionnaires/upload/", {"file": upload, **extra})


def _versions() -> int:
    return QuestionnaireVersion.objects.filter(questionnaire__study__slug="alpha").count()


def test_an_owner_creates_a_study_with_languages_and_consent(client: Client, team: Team):
    reply = _as(client, team.owner).post(
        "/workspace/new/",
        {
            "title": "Emigrants 2027",
            "slug": "emigrants-2027",
            "languages": ["en", "ru"],
            "default_language": "ru",
            "consent_ru": "Согласие",
            "consent_en": "Consent",
        },
    )
    assert (reply.status_code, reply["Location"]) == (302, "/workspace/emigrants-2027/")
    study = Study.objects.get(slug="emigrants-2027")
    assert (study.languages, study.default_language) == (["ru", "en"], "ru")
    assert study.consent_text == {"ru": "Согласие", "en": "Consent"}
    assert StudyMembership.objects.get(study=study).role == StudyRole.OWNER


@pytest.mark.parametrize(
    ("slug", "default", "message"),
    [
        ("alpha", "ru", "already exists"),
        ("new", "ru", "reserved"),
        ("Bad Slug", "ru", "slug"),
        ("fine", "uk", "Tick the default language"),
    ],
)
def test_a_refused_study_says_why_and_creates_nothing(
    client: Client, team: Team, slug: str, default: str, message: str
):
    before = Study.objects.count()
    reply = _as(client, team.owner).post(
        "/workspace/new/",
        {"title": "T", "slug": slug, "languages": ["ru"], "default_language": default},
    )
    assert reply.status_code == 400
    assert message in reply.content.decode()
    assert Study.objects.count() == before


def test_a_viewer_may_not_create_a_study(client: Client, team: Team):
    client.force_login(team.viewer)
    assert client.get("/workspace/new/").status_code == 403
    reply = client.post(
        "/workspace/new/",
        {"title": "T", "slug": "t", "languages": ["ru"], "default_language": "ru"},
    )
    assert reply.status_code == 403
    assert not Study.objects.filter(slug="t").exists()


def test_settings_change_languages_and_consent(client: Client, team: Team):
    reply = _as(client, team.owner).post(
        "/workspace/alpha/settings/",
        {
            "title": "Alpha renamed",
            "languages": ["ru", "en", "uk"],
            "default_language": "en",
            "consent_uk": "Згода",
        },
    )
    assert reply.status_code == 302
    study = Study.objects.get(slug="alpha")
    assert (study.title, study.languages) == ("Alpha renamed", ["en", "ru", "uk"])
    assert study.consent_text == {"uk": "Згода"}
    assert 'name="consent_uk"' in client.get("/workspace/alpha/settings/").content.decode()


def test_members_are_granted_changed_and_removed_and_the_last_owner_stays(
    client: Client, team: Team
):
    make_user("nina")
    _as(client, team.owner)
    assert (
        client.post(
            "/workspace/alpha/members/", {"username": "nina", "role": "researcher"}
        ).status_code
        == 302
    )
    assert StudyMembership.objects.get(user__username="nina").role == StudyRole.RESEARCHER
    assert client.post("/workspace/alpha/members/", {"revoke": "nina"}).status_code == 302
    assert not StudyMembership.objects.filter(user__username="nina").exists()

    unknown = client.post("/workspace/alpha/members/", {"username": "ghost", "role": "viewer"})
    assert unknown.status_code == 400
    assert "ghost" in unknown.content.decode()
    last = client.post("/workspace/alpha/members/", {"revoke": "olga"})
    assert last.status_code == 400
    assert "last owner" in last.content.decode()
    assert StudyMembership.objects.filter(user__username="olga").exists()


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("outsider", "/workspace/alpha/", 404),
        ("outsider", "/workspace/alpha/questionnaires/", 404),
        ("viewer", "/workspace/alpha/questionnaires/", 403),
        ("viewer", "/workspace/alpha/members/", 403),
        ("researcher", "/workspace/alpha/members/", 403),
        ("researcher", "/workspace/alpha/settings/", 403),
        ("manager", "/workspace/alpha/questionnaires/", 200),
        ("researcher", "/workspace/alpha/questionnaires/", 200),
    ],
)
def test_each_role_sees_its_pages(client: Client, team: Team, who: str, path: str, status: int):
    assert _as(client, getattr(team, who)).get(path).status_code == status


def test_a_bilingual_xlsform_is_uploaded_previewed_diffed_and_published(
    client: Client, team: Team, tmp_path: Path
):
    _as(client, team.researcher)
    first = _upload(client, DEMO_PANEL)
    assert first.status_code == 302
    v1 = QuestionnaireVersion.objects.get(questionnaire__study__slug="alpha")
    page = client.get(first["Location"]).content.decode()
    assert f"/dashboard/versions/{v1.pk}/preview/?lang=ru" in page
    assert f"/dashboard/versions/{v1.pk}/preview/?lang=en" in page
    assert "items read" in page
    assert "The first version" in page
    for lang, text in (("ru", "О вас"), ("en", "About you")):
        preview = client.get(f"/dashboard/versions/{v1.pk}/preview/?lang={lang}")
        assert text in preview.content.decode()

    assert (
        client.post(f"/workspace/alpha/questionnaires/versions/{v1.pk}/publish/").status_code == 302
    )
    v1.refresh_from_db()
    assert v1.status == VersionStatus.PUBLISHED

    changed = write_form(tmp_path / "demo_panel.xlsx", survey=SURVEY)
    second = _upload(client, changed, name="demo_panel")
    QuestionnaireVersion.objects.get(questionnaire__study__slug="alpha", number=2)
    diff = client.get(second["Location"]).content.decode()
    assert "Against version 1" in diff
    assert "added" in diff
    assert "removed" in diff


def test_publishing_twice_says_so(client: Client, team: Team):
    _as(client, team.researcher)
    _upload(client, DEMO_PANEL)
    version = QuestionnaireVersion.objects.get()
    url = f"/workspace/alpha/questionnaires/versions/{version.pk}/publish/"
    client.post(url)
    again = client.post(url, follow=True)
    assert "already published" in again.content.decode() or "frozen" in again.content.decode()


def test_a_file_that_is_not_a_form_is_refused_and_nothing_is_saved(
    client: Client, team: Team, tmp_path: Path
):
    _as(client, team.researcher)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    reply = _upload(client, text)
    assert reply.status_code == 400
    assert "is not a form file" in reply.content.decode()
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a spreadsheet")
    reply = _upload(client, fake)
    assert reply.status_code == 400
    assert "fake.xlsx" in reply.content.decode()
    assert "nothing was saved" in reply.content.decode()
    assert _versions() == 0


def test_a_form_with_an_unknown_type_is_refused_naming_its_row(
    client: Client, team: Team, tmp_path: Path
):
    _as(client, team.researcher)
    survey = [row[:] for row in SURVEY]
    survey[3][0] = "teleport"
    reply = _upload(client, write_form(tmp_path / "odd.xlsx", survey=survey))
    body = reply.content.decode()
    assert reply.status_code == 400
    assert "odd.xlsx" in body
    assert "row 4" in body
    assert "teleport" in body
    assert _versions() == 0


def test_unsupported_items_are_skipped_on_request_and_listed_row_by_row(
    client: Client, team: Team, tmp_path: Path
):
    _as(client, team.researcher)
    survey = [row[:] for row in SURVEY]
    survey.insert(2, ["geopoint", "where", "Where?", "Где?", *[""] * 8])
    survey.insert(3, ["image", "selfie", "Photo", "Фото", *[""] * 8])
    refused = _upload(client, write_form(tmp_path / "g.xlsx", survey=survey))
    assert refused.status_code == 400
    assert "geopoint" in refused.content.decode()
    assert _versions() == 0
    reply = _upload(client, write_form(tmp_path / "f.xlsx", survey=survey), skip_unsupported="on")
    page = client.get(reply["Location"]).content.decode()
    assert 'id="skipped"' in page
    assert '<td>3</td><td class="text">where</td><td class="text">geopoint</td>' in page
    assert '<td>4</td><td class="text">selfie</td><td class="text">image</td>' in page


def test_a_viewer_may_not_upload_or_publish(client: Client, team: Team):
    _as(client, team.researcher)
    _upload(client, DEMO_PANEL)
    version = QuestionnaireVersion.objects.get()
    _as(client, team.viewer)
    assert _upload(client, DEMO_PANEL).status_code == 403
    url = f"/workspace/alpha/questionnaires/versions/{version.pk}/publish/"
    assert client.post(url).status_code == 403
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert _versions() == 1


def test_a_version_of_another_study_is_not_found(client: Client, team: Team):
    _as(client, team.researcher)
    _upload(client, DEMO_PANEL)
    version = QuestionnaireVersion.objects.get()
    StudyMembership.objects.create(
        study=Study.objects.get(slug="beta"), user=team.researcher, role=StudyRole.RESEARCHER
    )
    assert client.get(f"/workspace/beta/questionnaires/versions/{version.pk}/").status_code == 404
    assert (
        client.post(f"/workspace/beta/questionnaires/versions/{version.pk}/publish/").status_code
        == 404
    )


def test_a_large_form_is_imported_by_a_task_and_listed_with_its_state(
    client: Client, team: Team, settings, django_capture_on_commit_callbacks
):
    settings.FORM_IMPORT_INLINE_ROWS = 1
    _as(client, team.researcher)
    with django_capture_on_commit_callbacks(execute=True):
        reply = _upload(client, DEMO_PANEL)
    assert reply["Location"] == "/workspace/alpha/questionnaires/"
    version = QuestionnaireVersion.objects.get(questionnaire__study__slug="alpha")
    page = client.get(reply["Location"]).content.decode()
    assert 'id="imports"' in page
    assert "demo_panel.xlsx" in page
    assert f"/workspace/alpha/questionnaires/versions/{version.pk}/" in page
