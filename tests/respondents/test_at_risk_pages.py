"""Respondent pages leave nothing on a seized phone and accept only small form posts.

Reproduces two findings of the security probe: a 300 MB multipart part posted to an open
link's consent page was spooled to /tmp and answered 303, and respondents got a one-year
`csrftoken` cookie, evidence of taking part.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from respondents.models import Response
from tests.respondents.form_helpers import (
    GOOD_PAGES,
    answer_pages,
    hidden_value,
    make_wave,
)

pytestmark = pytest.mark.django_db

RU: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}
EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def _set_cookies(reply) -> list[Any]:
    return list(reply.cookies.values())


def test_no_respondent_page_sets_a_cookie_that_outlives_the_browser():
    # given a respondent going through consent, every page and the end page
    wave = make_wave()
    client = Client(enforce_csrf_checks=True)
    replies = [client.get(f"/s/{wave.slug}/", **RU)]
    token = hidden_value(replies[0].content.decode(), "csrfmiddlewaretoken")
    replies.append(client.post(f"/s/{wave.slug}/", {"csrfmiddlewaretoken": token}, **RU))
    url = replies[-1]["Location"]
    replies.append(client.get(url, **RU))
    answer_pages(client, url, GOOD_PAGES, **RU)
    replies.append(client.get(url, **RU))

    # then the only cookies are the CSRF one and the session (which remembers the consent
    # offer, so Back to the consent page resumes), both browser-session cookies
    cookies = [cookie for reply in replies for cookie in _set_cookies(reply)]
    assert {cookie.key for cookie in cookies} <= {"csrftoken", "sessionid"}
    for cookie in cookies:
        assert cookie["max-age"] == ""
        assert cookie["expires"] == ""
    assert Response.objects.get().status == "completed"


def test_a_large_multipart_post_to_the_consent_page_is_refused_unread(settings, tmp_path):
    # given uploads would be spooled to tmp_path (above 2.5 MB Django writes them to disk)
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    wave = make_wave()
    upload = tmp_path / "big.bin"
    upload.write_bytes(b"\0" * (3 * 1024 * 1024))

    with upload.open("rb") as handle:
        reply = Client().post(f"/s/{wave.slug}/", {"file": handle}, **RU)

    assert reply.status_code == 413
    assert reply["Content-Language"] == "ru"
    assert "Страница отправила слишком много" in reply.content.decode()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["big.bin"]
    assert not Response.objects.exists()


def test_a_small_file_posted_to_a_respondent_page_is_a_400_in_their_language(tmp_path):
    wave = make_wave()
    upload = tmp_path / "note.txt"
    upload.write_text("x")

    with upload.open("rb") as handle:
        reply = Client().post(f"/s/{wave.slug}/", {"website": "", "note": handle}, **EN)

    assert reply.status_code == 400
    assert reply["Content-Language"] == "en"
    assert "This page could not be read" in reply.content.decode()
    assert not Response.objects.exists()


def test_an_oversized_form_post_is_a_413_and_a_normal_one_passes(settings):
    settings.RESPONDENT_MAX_BODY_BYTES = 1000
    wave = make_wave()
    client = Client()
    form = "application/x-www-form-urlencoded"

    refused = client.generic("POST", f"/s/{wave.slug}/", "a=" + "x" * 1000, form, **EN)
    started = client.generic("POST", f"/s/{wave.slug}/", "a=1", form, **EN)

    assert refused.status_code == 413
    assert started.status_code == 303
    assert Response.objects.count() == 1


def test_other_body_types_are_a_400():
    wave = make_wave()

    reply = Client().post(f"/s/{wave.slug}/", {"a": 1}, "application/json", **EN)

    assert reply.status_code == 400
    assert not Response.objects.exists()


def test_a_garbled_content_length_is_a_400():
    wave = make_wave()

    reply = Client().post(
        f"/s/{wave.slug}/", "a=1", "application/x-www-form-urlencoded", CONTENT_LENGTH="12x"
    )

    assert reply.status_code == 400


def test_staff_uploads_are_bounded_by_their_own_setting(settings):
    settings.STAFF_MAX_UPLOAD_BYTES = 1000

    reply = Client().generic("POST", "/api/v1/studies/", "x" * 2000, "application/json")

    assert reply.status_code == 413
    assert "STAFF_MAX_UPLOAD_BYTES" in reply.json()["detail"]


def test_every_respondent_page_has_a_leave_quickly_link(settings):
    settings.PANELWAVE_LEAVE_URL = "https://weather.example/"
    wave = make_wave()
    client = Client()

    consent = client.get(f"/s/{wave.slug}/", **EN).content.decode()
    started = client.post(f"/s/{wave.slug}/", {}, **EN)
    page = client.get(started["Location"], **EN).content.decode()
    unavailable = client.get("/s/no-such-wave/", **RU).content.decode()

    for html in (consent, page):
        assert 'class="leave-quickly" href="https://weather.example/"' in html
        assert "Leave quickly" in html
    assert "Быстро уйти" in unavailable


def test_a_study_can_ask_for_a_neutral_title_and_its_own_leave_address():
    # given a study that asks for a neutral title
    wave = make_wave()
    study = wave.study
    study.neutral_title = "Notes"
    study.leave_url = "https://news.example/"
    study.save(update_fields=["neutral_title", "leave_url"])
    questionnaire_title = str(wave.version.title) if hasattr(wave.version, "title") else ""
    client = Client()

    consent = client.get(f"/s/{wave.slug}/", **EN).content.decode()
    started = client.post(f"/s/{wave.slug}/", {}, **EN)
    page = client.get(started["Location"], **EN).content.decode()

    for html in (consent, page):
        assert "<title>Notes</title>" in html
        assert study.title not in html
        if questionnaire_title:
            assert questionnaire_title not in html
        assert 'href="https://news.example/"' in html
