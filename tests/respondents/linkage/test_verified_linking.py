"""Verified linking through the end page: "I took part before" sends a one-time link to the
address stored for the earlier member, and only following it links the answers."""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail, signing
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client, TestCase

from exports.sampling import select_sample
from respondents.models import (
    LinkHow,
    LinkStatus,
    PanelMember,
    Response,
    ResponseLink,
    WaveState,
)
from respondents.services.linkage_verification import REQUEST_LIMIT
from respondents.services.panel_signup import join_panel
from respondents.tasks import send_verification_task
from respondents.tokens import issue_resume_token
from respondents.verified_links import VerificationDeliveryError
from tests.respondents.fieldwork import START, add_response, make_fieldwork_study, make_wave

pytestmark = pytest.mark.django_db

OWNER = "anna.k@example.org"
OTHER = "boris@example.org"


@pytest.fixture
def panel():
    """Wave 1: Anna answered and joined the panel with her e-mail. Wave 2: an open-link
    response, finished, not linked to anyone."""
    study, version = make_fieldwork_study("verify")
    first = make_wave(study, version, "Wave 1")
    second = make_wave(study, version, "Wave 2")
    second.opens_at = (first.opens_at or START) + timedelta(days=180)
    second.save(update_fields=["opens_at"])
    earlier = add_response(first)
    anna = join_panel(earlier.pk, email=OWNER)
    later = add_response(second, started_at=START + timedelta(days=181))
    return study, first, second, anna, earlier, later


def _post_before(client: Client, token: str, email: str):
    # The message is sent by a task queued when the request's transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/r/{token}/before/", {"earlier_email": email, "website": ""})


def _ask(client: Client, response: Response, email: str):
    token = issue_resume_token(response)
    return token, _post_before(client, token, email)


def _link_in_mail() -> str:
    found = re.search(r"https?://\S+/v/(\S+)/", str(mail.outbox[-1].body))
    assert found, mail.outbox[-1].body
    return found.group(1)


def test_a_known_address_gets_one_message_and_the_click_links_one_person(panel):
    study, first, second, anna, earlier, later = panel
    client = Client()
    _, asked = _ask(client, later, "  Anna.K@Example.org ")
    assert asked.status_code == 303
    page = client.get(asked["Location"])
    assert "If we know this address" in page.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [OWNER]
    # nothing is linked before the click
    later.refresh_from_db()
    assert later.member_id is None
    link_token = _link_in_mail()
    confirm = client.get(f"/v/{link_token}/")
    assert confirm.status_code == 200
    assert "Connect my answers" in confirm.content.decode()
    assert not ResponseLink.objects.exists()  # GET (a mail scanner's prefetch) links nothing
    done = client.post(f"/v/{link_token}/")
    assert done.status_code == 200
    link = ResponseLink.objects.get(response=later)
    assert (link.status, link.how, link.earlier_response_id) == (
        LinkStatus.LINKED,
        LinkHow.VERIFIED,
        earlier.pk,
    )
    later.refresh_from_db()
    assert later.member_id == anna.pk
    sample = select_sample(study.pk, [first.pk, second.pk], sample="panel", include_flagged=True)
    assert sample.people == 1
    # one-time: a second use is refused and changes nothing
    again = client.post(f"/v/{link_token}/")
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert ResponseLink.objects.count() == 1


def test_an_unknown_address_reads_the_same_and_sends_nothing(panel):
    *_, later = panel
    client = Client()
    _, asked = _ask(client, later, "nobody@example.org")
    assert asked.status_code == 303
    assert asked["Location"].endswith("?before=asked")
    page = client.get(asked["Location"]).content.decode()
    assert "If we know this address" in page
    assert OWNER not in page
    assert "nobody@example.org" not in page
    assert mail.outbox == []
    assert not ResponseLink.objects.exists()


def test_someone_elses_address_mails_its_owner_and_links_nothing(panel):
    _, _, second, anna, _, _ = panel
    # Boris, a newcomer who joined the panel in wave 2, types Anna's address.
    boris = add_response(second, started_at=START + timedelta(days=182))
    join_panel(boris.pk, email=OTHER)
    _ask(Client(), boris, OWNER)
    assert [message.to for message in mail.outbox] == [[OWNER]]
    assert OTHER not in mail.outbox[0].body
    boris.refresh_from_db()
    assert boris.member_id != anna.pk
    assert not ResponseLink.objects.exists()
    assert PanelMember.objects.get(pk=anna.pk).possible_duplicate_of_id is None


def test_the_form_is_rate_limited_per_response(panel):
    *_, later = panel
    client = Client()
    token = issue_resume_token(later)
    for _ in range(REQUEST_LIMIT):
        _post_before(client, token, OWNER)
    limited = _post_before(client, token, OWNER)
    assert limited["Location"].endswith("?before=limit")
    assert len(mail.outbox) == REQUEST_LIMIT


def test_an_invalid_address_is_named_on_the_end_page(panel):
    *_, later = panel
    _, page = _ask(Client(), later, "not an address")
    assert page.status_code == 200
    assert "Enter a valid e-mail address" in page.content.decode()
    assert mail.outbox == []


def test_tampered_and_expired_links_are_refused(panel, settings):
    *_, later = panel
    _ask(Client(), later, OWNER)
    link_token = _link_in_mail()
    tampered = link_token[:-2] + ("AA" if not link_token.endswith("AA") else "BB")
    assert Client().post(f"/v/{tampered}/").status_code == 404
    forged = signing.dumps({"r": later.pk, "m": 1}, salt="another salt")
    assert Client().post(f"/v/{forged}/").status_code == 404
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("respondents.services.linkage_verification.MAX_AGE", timedelta(seconds=-1))
        assert Client().post(f"/v/{link_token}/").status_code == 404
    assert not ResponseLink.objects.exists()


def test_a_link_for_a_closed_wave_is_refused_with_a_clear_message(panel):
    _, _, second, _, _, later = panel
    _ask(Client(), later, OWNER)
    link_token = _link_in_mail()
    second.state = WaveState.CLOSED
    second.save(update_fields=["state"])
    refused = Client().post(f"/v/{link_token}/")
    assert refused.status_code == 410
    assert "This wave has closed" in refused.content.decode()
    assert not ResponseLink.objects.exists()


def test_the_russian_page_and_message(panel):
    *_, anna, _, later = panel
    PanelMember.objects.filter(pk=anna.pk).update(preferred_language="ru")
    Response.objects.filter(pk=later.pk).update(language="ru")
    later.refresh_from_db()
    token = issue_resume_token(later)
    client = Client()
    page = client.get(f"/r/{token}/").content.decode()
    assert "Я уже участвовал" in page
    _post_before(client, token, OWNER)
    assert "связать" in mail.outbox[0].subject
    assert "Ссылка действует один раз" in mail.outbox[0].body


def test_a_click_after_a_reviewers_rejection_keeps_both_in_the_history(panel):
    from django.contrib.auth import get_user_model

    from respondents.services.linkage import reject_link

    *_, earlier, later = panel
    reviewer = get_user_model().objects.create_user("reviewer", password="x")
    guessed = ResponseLink.objects.create(response=later, earlier_response=earlier, probability=0.7)
    reject_link(guessed, user=reviewer, reason="different sex")
    _ask(Client(), later, OWNER)
    Client().post(f"/v/{_link_in_mail()}/")
    link = ResponseLink.objects.get(response=later)
    assert (link.status, link.how) == (LinkStatus.LINKED, LinkHow.VERIFIED)
    history = [(d.status, d.how, d.decided_by_id, d.reason) for d in link.decisions.all()]
    assert history == [
        (LinkStatus.REJECTED, "", reviewer.pk, "different sex"),
        (LinkStatus.LINKED, LinkHow.VERIFIED, None, "verified by e-mail"),
    ]


class _RefusingBackend(BaseEmailBackend):
    """An SMTP relay that refuses the recipient, naming them as smtplib does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({OWNER: (450, b"try later")})


def test_the_message_is_sent_by_a_task_that_retries_and_never_carries_the_address(
    panel, settings, caplog
):
    *_, anna, _, later = panel
    queued = []
    token = issue_resume_token(later)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            send_verification_task, "apply_async", lambda *a, **k: queued.append(k["args"])
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            asked = Client().post(f"/r/{token}/before/", {"earlier_email": OWNER, "website": ""})
    # The request only queued two ids, after its transaction; it sent nothing itself.
    assert asked.status_code == 303
    assert queued == [(later.pk, anna.pk)]
    assert mail.outbox == []
    # A relay that refuses: the task is retried, and nothing it logs or raises names the address.
    settings.EMAIL_BACKEND = f"{__name__}._RefusingBackend"
    with caplog.at_level(logging.DEBUG), pytest.raises(Retry) as retry:
        send_verification_task.delay(*queued[0])
    assert isinstance(retry.value.exc, OSError)
    assert "not delivered (SMTPRecipientsRefused)" in str(retry.value.exc)
    assert "anna.k" not in str(retry.value).lower()
    assert "anna.k" not in caplog.text.lower()
    # The retry that gets through mails the address stored for the member.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_verification_task.delay(*queued[0]).get() is True
    assert [message.to for message in mail.outbox] == [[OWNER]]
    assert "/v/" in str(mail.outbox[0].body)


def test_a_failed_delivery_names_no_address():
    error = VerificationDeliveryError(
        "p-123", smtplib.SMTPRecipientsRefused({OWNER: (550, b"no such user")})
    )
    assert OWNER not in str(error)
    assert "p-123" in str(error)
    assert error.__cause__ is None


def test_the_offer_at_the_start_links_a_response_still_being_answered(panel):
    _, _, second, anna, earlier, _ = panel
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    consent = client.get(f"/s/{second.slug}/").content.decode()
    assert "I agree, and I took part before" in consent
    started = client.post(f"/s/{second.slug}/", {"website": "", "before": "1"})
    assert started.status_code == 303
    before_url = str(started["Location"])
    assert before_url.endswith("/before/")
    page = client.get(before_url).content.decode()
    assert "Send me a link" in page
    assert "Go on to the questionnaire" in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = client.post(before_url, {"earlier_email": OWNER, "website": ""})
    assert asked["Location"] == f"{before_url}?before=asked"
    assert "If we know this address" in client.get(asked["Location"]).content.decode()
    assert [message.to for message in mail.outbox] == [[OWNER]]
    response = Response.objects.get(wave=second, status="in_progress")
    assert response.member_id is None  # nothing before the click
    Client().post(f"/v/{_link_in_mail()}/")
    response.refresh_from_db()
    assert response.member_id == anna.pk
    assert ResponseLink.objects.get(response=response).earlier_response_id == earlier.pk
    # The questionnaire goes on where it was.
    questionnaire = client.get(before_url.removesuffix("before/")).content.decode()
    assert 'name="_pw_page" value="about"' in questionnaire


def test_the_offer_at_the_start_reads_the_same_for_an_unknown_address(panel):
    _, _, second, *_ = panel
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    before_url = str(client.post(f"/s/{second.slug}/", {"website": "", "before": "1"})["Location"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = client.post(before_url, {"earlier_email": "nobody@example.org", "website": ""})
    assert asked["Location"] == f"{before_url}?before=asked"
    assert "If we know this address" in client.get(asked["Location"]).content.decode()
    assert mail.outbox == []
    invalid = client.post(before_url, {"earlier_email": "not an address", "website": ""})
    assert invalid.status_code == 200
    assert "Enter a valid e-mail address" in invalid.content.decode()


def test_a_personal_link_offers_nothing_to_connect(panel):
    from respondents.tokens import issue_invitation

    _, _, second, anna, _, _ = panel
    _, token = issue_invitation(anna, second)
    consent = Client().get(f"/i/{token}/").content.decode()
    assert "I agree, start the survey" in consent
    assert "I took part before" not in consent


def test_asking_after_the_wave_closed_is_refused_with_a_clear_message(panel):
    _, _, second, _, _, later = panel
    token = issue_resume_token(later)
    second.state = WaveState.CLOSED
    second.save(update_fields=["state"])
    client = Client()
    # the end page no longer offers it, and a request posted anyway says why it is refused
    assert "Send me a link" not in client.get(f"/r/{token}/").content.decode()
    refused = _post_before(client, token, OWNER)
    assert refused.status_code == 410
    assert "This wave has closed" in refused.content.decode()
    assert mail.outbox == []
