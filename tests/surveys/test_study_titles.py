# ruff: noqa: RUF001  (Russian titles are meant to be Cyrillic)
"""The study's title per language: set in the workspace settings page or the admin, seen
by respondents in their language, after the questionnaire's own title in that language."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from respondents.services.waves import open_wave
from surveys.models import Study
from surveys.services.questionnaires import import_questionnaire, publish_version
from surveys.services.studies import StudySettings, StudySettingsError, update_study
from tests.builders import make_study
from tests.surveys.forms import write_form
from tests.surveys.personas import Team, login_verified, make_team

pytestmark = pytest.mark.django_db

SURVEY = [["type", "name", "label::English (en)", "label::Русский (ru)"], ["text", "a", "A", "А"]]


@pytest.fixture
def team() -> Team:
    return make_team(make_study("alpha"), make_study("beta"))


def _wave(study: Study, tmp_path: Path, settings: list[list[str]] | None = None):
    form = write_form(tmp_path / "f.xlsx", SURVEY, [["list_name", "name"]], settings)
    version = publish_version(import_questionnaire(form, study=study).version.pk)
    return open_wave(study, version, "w1")


def _title(client: Client, wave, language: str) -> str:
    html = client.get(f"/s/{wave.slug}/?lang={language}").content.decode()
    return html.split("<title>", 1)[1].split("</title>", 1)[0]


def test_titles_per_language_are_set_in_the_settings_page_and_seen_by_respondents(
    client: Client, team: Team, tmp_path: Path
):
    login_verified(client, team.owner)
    page = client.get("/workspace/alpha/settings/").content.decode()
    assert 'name="title_ru"' in page
    assert 'name="title_en"' in page
    reply = client.post(
        "/workspace/alpha/settings/",
        {
            "title": "Alpha",
            "languages": ["ru", "en"],
            "default_language": "ru",
            "title_ru": "Жизнь после отъезда",
            "title_en": "  Life   after leaving ",
        },
    )
    assert reply.status_code == 302
    study = Study.objects.get(slug="alpha")
    assert study.title_translations == {"ru": "Жизнь после отъезда", "en": "Life after leaving"}
    assert (
        'value="Жизнь после отъезда"' in client.get("/workspace/alpha/settings/").content.decode()
    )

    # The form has no title of its own: respondents see the study's, in their language.
    wave = _wave(study, tmp_path)
    respondent = Client()
    assert _title(respondent, wave, "ru") == "Жизнь после отъезда"
    assert _title(respondent, wave, "en") == "Life after leaving"


def test_the_questionnaire_title_in_the_language_comes_first(team: Team, tmp_path: Path):
    study = Study.objects.get(slug="alpha")
    study.title_translations = {"ru": "Исследование", "en": "The study"}
    study.save()
    settings = [
        ["default_language", "form_title", "form_title::English (en)"],
        ["Русский (ru)", "Анкета", "The questionnaire"],
    ]
    wave = _wave(study, tmp_path, settings)
    client = Client()
    assert _title(client, wave, "en") == "The questionnaire"
    assert _title(client, wave, "ru") == "Анкета"


def test_a_title_in_a_language_the_study_does_not_offer_is_refused(team: Team):
    study = Study.objects.get(slug="alpha")
    settings = StudySettings(
        title="Alpha",
        languages=("ru", "en"),
        consent_text={},
        title_translations={"uk": "Життя"},
    )
    with pytest.raises(StudySettingsError, match="a title in 'uk', which is not one of"):
        update_study(study, settings)


def test_the_admin_edits_the_titles_and_refuses_a_wrong_shape(client: Client, team: Team):
    study = Study.objects.get(slug="alpha")
    url = f"/admin/surveys/study/{study.pk}/change/"
    form = {"slug": study.slug, "title": "Alpha", "default_language": "ru"}
    form |= {"languages": '["ru", "en"]', "consent_text": "{}"}
    team.owner.is_staff = True
    team.owner.save(update_fields=["is_staff"])
    team.owner.user_permissions.add(*Permission.objects.filter(codename="change_study"))
    login_verified(client, team.owner)
    wrong = client.post(url, form | {"title_translations": '["not", "a", "mapping"]'})
    assert wrong.status_code == 200
    assert "titles must map language codes to texts" in wrong.content.decode()
    ok = client.post(url, form | {"title_translations": '{"en": "Alpha panel"}'})
    assert ok.status_code == 302
    study.refresh_from_db()
    assert study.title_translations == {"en": "Alpha panel"}
