import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from respondents.models import (
    Contact,
    Invitation,
    PanelMember,
    Response,
    ResponseStatus,
)
from respondents.services.contacts import reveal_contact
from respondents.tokens import issue_invitation
from tests.respondents.form_helpers import (
    AGE_MESSAGE,
    EXPECTED_ANSWERS,
    GOOD_PAGES,
    answer_pages,
    hidden_value,
    make_wave,
    page_post,
    start_open,
)

pytestmark = pytest.mark.django_db

RU: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9,en;q=0.5"}
EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def test_a_respondent_without_javascript_completes_the_form_in_russian():
    # given
    wave = make_wave(channels=("tg_news",))
    client = Client(enforce_csrf_checks=True)
    consent = client.get(f"/s/{wave.slug}/?src=tg_news", **RU)
    assert "Consent (ru)" in consent.content.decode()
    assert "Я согласен(на), начать опрос" in consent.content.decode()
    token = hidden_value(consent.content.decode(), "csrfmiddlewaretoken")

    # when
    started = client.post(f"/s/{wave.slug}/?src=tg_news", {"csrfmiddlewaretoken": token}, **RU)
    url = started["Location"]
    first = client.get(url, **RU).content.decode()
    answer_pages(client, url, GOOD_PAGES, **RU)

    # then
    assert "Ваш возраст" in first
    assert 'lang="ru"' in first
    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETED
    assert response.answers == EXPECTED_ANSWERS
    assert response.channel == "tg_news"
    assert response.language == "ru"
    assert set(response.paradata["pages"]) == {"about", "children", "trust", "views"}
    assert all(entry["visits"] == 1 for entry in response.paradata["pages"].values())
    assert all(entry["seconds"] >= 0 for entry in response.paradata["pages"].values())
    assert "Спасибо!" in client.get(url, **RU).content.decode()


def test_a_bad_answer_is_refused_with_the_page_kept_and_the_message_shown():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **RU)
    html = client.get(url, **RU).content.decode()

    refused = client.post(
        url, page_post(html, {"age": ["12"], "country": ["am"], "has_children": ["no"]}), **RU
    )

    page = refused.content.decode()
    assert refused.status_code == 200
    assert AGE_MESSAGE["ru"] in page
    assert 'value="12"' in page
    assert re.search(r'value="am"\s+checked', page)
    assert Response.objects.get().answers == {}
    assert Response.objects.get().current_page == "about"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"age": ["abc"], "country": ["am"]}, "Enter a whole number."),
        ({"age": ["30"]}, "This question requires an answer."),
        ({"age": ["30"], "country": ["xx"]}, "Choose one of the options."),
        ({"age": ["30"], "country": ["other"]}, "Please specify your answer."),
    ],
    ids=["_case_type", "_case_required", "_case_unknown_choice", "_case_other_empty"],
)
def test_the_default_messages_are_in_english_for_english_respondents(answers, message):
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **EN)
    html = client.get(url, **EN).content.decode()

    refused = client.post(url, page_post(html, answers), **EN)

    assert refused.status_code == 200
    assert message in refused.content.decode()
    assert Response.objects.get().answers == {}


def test_the_russian_default_messages_are_translated():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **RU)
    html = client.get(url, **RU).content.decode()

    refused = client.post(url, page_post(html, {"age": ["30"]}), **RU)

    assert "Это обязательный вопрос." in refused.content.decode()


def test_the_language_switch_changes_labels_and_is_remembered():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **RU)

    switched = client.get(url + "?lang=en", **RU).content.decode()
    again = client.get(url, **RU).content.decode()

    assert "Your age" in switched
    assert "Your age" in again
    assert Response.objects.get().language == "en"


def test_back_keeps_answers_and_hidden_pages_lose_their_stale_answers():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **EN)
    html = client.get(url).content.decode()
    client.post(url, page_post(html, GOOD_PAGES["about"]))
    html = client.get(url).content.decode()
    client.post(url, page_post(html, GOOD_PAGES["children"]))
    assert Response.objects.get().answers["n_children"] == 2

    # when: back twice, then say "no children"
    html = client.get(url).content.decode()
    client.post(url, page_post(html, {}, action="back"))
    html = client.get(url).content.decode()
    assert 'value="2"' in html
    client.post(url, page_post(html, {}, action="back"))
    about = client.get(url).content.decode()
    assert 'value="34"' in about
    client.post(url, page_post(about, {**GOOD_PAGES["about"], "has_children": ["no"]}))

    # then: the children page is skipped and its answer dropped
    response = Response.objects.get()
    assert response.current_page == "trust"
    assert "n_children" not in response.answers
    assert response.answers["age"] == 34
    assert response.paradata["pages"]["about"]["visits"] == 2


def test_a_double_post_stores_one_answer_set():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave)
    html = client.get(url).content.decode()
    post = page_post(html, GOOD_PAGES["about"])

    first = client.post(url, post)
    second = client.post(url, post)

    assert first.status_code == second.status_code == 303
    response = Response.objects.get()
    assert Response.objects.count() == 1
    assert response.answers == {
        "age": 34,
        "country": "other",
        "country_other": "Serbia",
        "has_children": "yes",
    }
    assert response.current_page == "children"
    assert response.paradata["pages"]["children"]["visits"] == 1
    assert response.paradata["nav"]["step"] == 2


def test_the_personal_link_resumes_on_another_device():
    # given
    wave = make_wave()
    member = PanelMember.objects.create(study=wave.study, pseudonym="m1")
    invitation, token = issue_invitation(member, wave)
    phone = Client()
    phone.get(f"/i/{token}/", **RU)
    phone.post(f"/i/{token}/", {}, **RU)
    phone.post(f"/i/{token}/", {}, **RU)  # a second consent click starts nothing new
    html = phone.get(f"/i/{token}/").content.decode()
    phone.post(f"/i/{token}/", page_post(html, GOOD_PAGES["about"]))

    # when
    laptop = Client()
    resumed = laptop.get(f"/i/{token}/").content.decode()

    # then
    assert hidden_value(resumed, "_pw_page") == "children"
    assert "To continue later" not in resumed
    answer_pages(laptop, f"/i/{token}/", GOOD_PAGES)
    response = Response.objects.get()
    invitation.refresh_from_db()
    assert response.member == member
    assert response.invitation == invitation
    assert response.answers == EXPECTED_ANSWERS
    assert invitation.opened_at is not None
    assert invitation.started_at is not None
    assert invitation.completed_at is not None
    assert invitation.opened_at <= invitation.started_at <= invitation.completed_at
    assert "Take part again?" not in laptop.get(f"/i/{token}/").content.decode()


def test_the_open_link_page_shows_its_resume_link():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **EN)

    page = client.get(url).content.decode()

    assert f"{settings.SITE_URL}{url}" in page  # SITE_URL, not the request's Host
    assert "To continue later" in page


@pytest.mark.parametrize("path", ["/i/{}/", "/r/{}/", "/s/{}/"])
def test_unknown_links_get_one_page_that_reveals_nothing(path):
    make_wave()

    page = Client().get(path.format("A" * 43), **EN)

    assert page.status_code == 404
    assert "This link is not active" in page.content.decode()


def test_a_filled_honeypot_is_recorded_and_the_respondent_sees_no_difference():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave)
    html = client.get(url).content.decode()

    posted = client.post(url, {**page_post(html, GOOD_PAGES["about"]), "website": "http://spam"})

    assert posted.status_code == 303
    response = Response.objects.get()
    assert response.honeypot_filled is True
    assert response.current_page == "children"


def test_starts_are_rate_limited_per_fingerprint(settings):
    settings.RESPONSE_START_LIMIT = 2
    wave = make_wave()
    client = Client()
    start_open(client, wave)
    start_open(client, wave)

    third = client.post(f"/s/{wave.slug}/", {})
    other_network = client.post(f"/s/{wave.slug}/", {}, REMOTE_ADDR="198.51.100.20")

    assert third.status_code == 429
    assert "Пожалуйста, подождите немного" in third.content.decode()  # the study default, ru
    assert other_network.status_code == 303
    assert Response.objects.count() == 3


def test_pages_carry_a_strict_csp_and_no_inline_script_or_style():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave)

    page = client.get(url)

    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    html = page.content.decode()
    assert "<script>" not in html
    assert "style=" not in html
    assert "<style" not in html
    assert page["Cache-Control"].startswith("max-age=0")


def test_an_open_link_respondent_joins_the_panel_at_the_end():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **EN)
    answer_pages(client, url, GOOD_PAGES)
    assert "Take part again?" in client.get(url).content.decode()

    bad = client.post(url + "join/", {"telegram": "@x"})
    joined = client.post(url + "join/", {"email": "Anna@Example.org", "telegram": "@anna_k"})
    again = client.post(url + "join/", {"email": "anna@example.org"})

    assert "A Telegram username has 5-32 letters" in bad.content.decode()
    assert joined.status_code == again.status_code == 303
    member = PanelMember.objects.get()
    response = Response.objects.get()
    assert response.member == member
    assert member.recruited_in == wave
    assert reveal_contact(member).email == "anna@example.org"
    assert reveal_contact(member).telegram == "anna_k"
    assert "anna" not in str(Contact.objects.values_list().get()).lower()
    assert "You have joined the panel" in client.get(url).content.decode()


def test_joining_needs_a_contact():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **RU)
    answer_pages(client, url, GOOD_PAGES)

    refused = client.post(url + "join/", {"email": "", "telegram": ""})

    assert refused.status_code == 200
    assert "Укажите адрес электронной почты" in refused.content.decode()
    assert PanelMember.objects.count() == 0


def test_a_closed_wave_accepts_no_new_answers():
    wave = make_wave()
    client = Client()
    url = start_open(client, wave)
    wave.state = "closed"
    wave.save(update_fields=["state"])

    assert client.get(f"/s/{wave.slug}/").status_code == 404
    assert client.get(url).status_code == 404
    assert Invitation.objects.count() == 0


def test_respondent_pages_send_a_referrer_policy_that_keeps_tokens_on_the_site():
    wave = make_wave()

    page = Client().get(f"/s/{wave.slug}/")

    # Not "no-referrer": Chromium then posts forms with `Origin: null`, which CSRF refuses.
    assert page["Referrer-Policy"] == "same-origin"


def test_messages_follow_the_chosen_language_not_accept_language():
    # given: an English browser that chose Russian with ?lang=ru
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, query="?lang=ru", **EN)
    html = client.get(url, **EN).content.decode()
    assert "Ваш возраст" in html

    # when: a required item is left empty, still with Accept-Language en
    refused = client.post(url, page_post(html, {"age": ["30"]}), **EN)

    # then
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "Это обязательный вопрос." in page
    assert "This question requires an answer." not in page
    assert Response.objects.get().language == "ru"


def test_a_double_consent_post_starts_one_response_and_both_land_on_it():
    # given: the consent page as the browser got it
    wave = make_wave()
    client = Client(enforce_csrf_checks=True)
    consent = client.get(f"/s/{wave.slug}/", **EN).content.decode()
    form = {
        "csrfmiddlewaretoken": hidden_value(consent, "csrfmiddlewaretoken"),
        "_pw_start": hidden_value(consent, "_pw_start"),
        "website": "",
    }

    # when: the same form is posted twice (a double tap, a retried POST)
    first = client.post(f"/s/{wave.slug}/", form, **EN)
    second = client.post(f"/s/{wave.slug}/", form, **EN)

    # then
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Response.objects.count() == 1
    assert "Your age" in client.get(second["Location"], **EN).content.decode()


def test_a_reloaded_consent_page_resumes_and_a_forged_offer_starts_a_new_response():
    wave = make_wave()
    browser, other_browser = Client(), Client()
    # One browser keeps its offer for the session (Back or reload shows the same form);
    # another browser gets its own.
    offers = [
        hidden_value(client.get(f"/s/{wave.slug}/").content.decode(), "_pw_start")
        for client in (browser, browser, other_browser)
    ]
    forged = "A" * 43

    landed = [
        Client().post(f"/s/{wave.slug}/", {"_pw_start": offer})["Location"]
        for offer in [*offers, forged, forged]
    ]

    assert offers[0] == offers[1] != offers[2]
    assert landed[0] == landed[1]
    assert len(set(landed)) == 4
    assert f"/r/{forged}/" not in landed
    assert Response.objects.count() == 4


def test_starts_are_also_limited_per_network_whatever_the_user_agent(settings):
    # given: a per-fingerprint limit nobody reaches, and a network limit of 3
    settings.RESPONSE_START_LIMIT = 2
    settings.RESPONSE_START_NETWORK_LIMIT = 3
    wave = make_wave()
    client = Client()

    # when: each start claims a new browser
    codes = [
        client.post(f"/s/{wave.slug}/", {}, HTTP_USER_AGENT=f"bot/{n}").status_code
        for n in range(4)
    ]
    other_network = client.post(
        f"/s/{wave.slug}/", {}, HTTP_USER_AGENT="bot/9", REMOTE_ADDR="198.51.100.20"
    )

    # then
    assert codes == [303, 303, 303, 429]
    assert other_network.status_code == 303
    assert Response.objects.count() == 4


def test_an_offer_whose_response_is_closed_to_its_holder_starts_afresh():
    # given: the offered response joined the panel and its member withdrew since
    from respondents.models import MemberStatus
    from respondents.services.responses import start_response
    from respondents.tokens import accept_resume_offer, offer_resume_token

    wave = make_wave()
    offer = offer_resume_token(wave)
    first = start_response(wave, resume_offer=offer)
    member = PanelMember.objects.create(
        study=wave.study, pseudonym="gone", status=MemberStatus.WITHDRAWN
    )
    Response.objects.filter(pk=first.response.pk).update(member=member)

    # when
    again = start_response(wave, resume_offer=offer)

    # then
    assert first.resume_token == accept_resume_offer(wave, offer)
    assert again.response.pk != first.response.pk
    assert again.resume_token not in ("", first.resume_token)
    assert Response.objects.count() == 2


@pytest.mark.parametrize("_case", ["closed", "past its close time"])
def test_a_page_posted_after_the_wave_stops_is_refused_and_saves_nothing(_case):
    # given a respondent on the first page, with the form in their browser
    from datetime import timedelta

    from django.utils import timezone

    from respondents.models import Wave

    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **EN)
    html = client.get(url, **EN).content.decode()
    before = Response.objects.get()

    # when the wave stops taking answers (state kept open for the scheduled case)
    if _case == "closed":
        Wave.objects.filter(pk=wave.pk).update(state="closed")
    else:
        Wave.objects.filter(pk=wave.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    posted = client.post(url, page_post(html, GOOD_PAGES["about"]), **EN)

    # then the post gets the "link not active" page, like a GET, and nothing changed
    assert posted.status_code == 404
    assert "This link is not active" in posted.content.decode()
    after = Response.objects.get()
    assert (after.answers, after.paradata, after.current_page) == (
        before.answers,
        before.paradata,
        "about",
    )


@pytest.mark.parametrize("_case", ["²", "1²", "-1", "x", ""])
def test_a_garbled_step_is_a_stale_post_not_a_server_error(_case):
    # given a respondent on the first page
    wave = make_wave()
    client = Client()
    url = start_open(client, wave, **EN)
    page = client.get(url, **EN).content.decode()
    before = Response.objects.get()

    # when the step field is garbled ("²" is a digit to str.isdigit that int() refuses)
    post = {**page_post(page, GOOD_PAGES["about"]), "_pw_step": _case}
    answered = client.post(url, post, **EN)

    # then the post is stale: sent back to the page, nothing saved
    assert answered.status_code == 303
    assert answered["Location"] == url
    after = Response.objects.get()
    assert (after.current_page, after.answers) == (before.current_page, before.answers)


@pytest.mark.parametrize("_case", ["short", "longer than the field allows"])
def test_a_honeypot_filled_on_the_consent_page_is_recorded_however_long(_case):
    # given a bot that fills every field, with more than max_length characters or not
    wave = make_wave()
    client = Client()
    client.get(f"/s/{wave.slug}/")
    spam = "http://spam" if _case == "short" else "x" * 600

    # when
    started = client.post(f"/s/{wave.slug}/", {"website": spam})

    # then it is let through like a person, and marked
    assert started.status_code == 303
    assert Response.objects.get().honeypot_filled is True
