"""Inviting panelists: e-mail through the Celery task, Telegram link lists, reminders,
withdrawal, and the wave-2 answers of a panelist joining their wave-1 answers."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import traceback
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from respondents.models import Invitation, MemberStatus, ResponseStatus, Wave
from respondents.services.invitations import (
    ERROR_WAVE_CLOSED,
    InvitationRun,
    invite_panel,
    send_reminders,
    withdraw_member,
    write_telegram_links,
)
from respondents.services.responses import start_response
from respondents.services.waves import close_wave
from respondents.tokens import resolve_invitation, resolve_withdraw_token
from tests.respondents.fieldwork import add_response, make_fieldwork_study, make_member, make_wave

pytestmark = pytest.mark.django_db

PERSONAL = re.compile(r"/i/([A-Za-z0-9_\-]+)/")
WITHDRAW = re.compile(r"/w/([^/\s]+)/")


@pytest.fixture
def fieldwork():
    study, version = make_fieldwork_study()
    return study, version, make_wave(study, version, "w1")


def invite(wave: Wave, capture: Any, **kwargs: Any) -> InvitationRun:
    with capture(execute=True):
        return invite_panel(wave, **kwargs)


def token_in(pattern: re.Pattern[str], text: Any) -> str:
    match = pattern.search(str(text))
    assert match is not None
    return match.group(1)


def personal_token(message: Any) -> str:
    return token_in(PERSONAL, message.body)


def resolve(token: str) -> Invitation:
    invitation = resolve_invitation(token)
    assert invitation is not None
    return invitation


def test_invite_panel_mails_each_member_a_personal_and_a_withdraw_link(
    fieldwork, django_capture_on_commit_callbacks
):
    study, _version, wave = fieldwork
    anna = make_member(study, email="anna@example.org", language="en")
    boris = make_member(study, email="boris@example.org", language="ru")

    run = invite(wave, django_capture_on_commit_callbacks)

    assert (run.created, run.emails_queued, run.without_contact) == (2, 2, 0)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"anna@example.org", "boris@example.org"}
    assert resolve(personal_token(by_address["anna@example.org"])).member == anna
    assert "Your personal link" in by_address["anna@example.org"].body
    assert "Ваша личная ссылка" in by_address["boris@example.org"].body
    withdraw_token = token_in(WITHDRAW, by_address["boris@example.org"].body)
    assert resolve_withdraw_token(withdraw_token) == boris
    assert Invitation.objects.filter(sent_at__isnull=False).count() == 2


def test_the_raw_token_is_stored_nowhere(fieldwork, django_capture_on_commit_callbacks):
    study, _version, wave = fieldwork
    make_member(study, email="anna@example.org")

    invite(wave, django_capture_on_commit_callbacks)

    token = personal_token(mail.outbox[0])
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert token not in str(list(Invitation.objects.values()))


def test_rerunning_invite_panel_does_not_send_twice(fieldwork, django_capture_on_commit_callbacks):
    study, _version, wave = fieldwork
    make_member(study, email="anna@example.org")
    invite(wave, django_capture_on_commit_callbacks)

    again = invite(wave, django_capture_on_commit_callbacks)

    assert (again.created, again.emails_queued) == (0, 0)
    assert len(mail.outbox) == 1
    assert Invitation.objects.count() == 1


def test_a_withdrawn_member_gets_no_invitation(fieldwork, django_capture_on_commit_callbacks):
    study, version, wave = fieldwork
    stays = make_member(study, email="anna@example.org")
    leaves = make_member(study, email="boris@example.org")
    withdraw_member(leaves)

    invite(wave, django_capture_on_commit_callbacks)
    wave2 = make_wave(study, version, "w2")
    invite(wave2, django_capture_on_commit_callbacks)

    assert [message.to for message in mail.outbox] == [["anna@example.org"]] * 2
    assert set(Invitation.objects.values_list("member", flat=True)) == {stays.pk}


def test_withdrawal_revokes_pending_links_and_drops_the_contact(
    fieldwork, django_capture_on_commit_callbacks
):
    study, _version, wave = fieldwork
    member = make_member(study, email="anna@example.org")
    invite(wave, django_capture_on_commit_callbacks)
    token = personal_token(mail.outbox[0])

    withdraw_member(member)

    member.refresh_from_db()
    assert member.status == MemberStatus.WITHDRAWN
    assert member.withdrawn_at is not None
    assert resolve_invitation(token) is None
    # Even if the member were active again, the revoked token opens nothing.
    member.status = MemberStatus.ACTIVE
    member.save(update_fields=["status"])
    assert resolve_invitation(token) is None
    assert member.contact.email_encrypted == ""


def test_panelists_invited_to_wave_two_are_linked_to_their_wave_one_answers(
    fieldwork, django_capture_on_commit_callbacks
):
    # given a panelist who answered wave 1
    study, version, wave1 = fieldwork
    member = make_member(study, email="anna@example.org")
    first = add_response(wave1, member=member)
    wave2 = make_wave(study, version, "w2")

    # when they follow their wave-2 invitation
    invite(wave2, django_capture_on_commit_callbacks)
    invitation = resolve(personal_token(mail.outbox[0]))
    second = start_response(wave2, invitation=invitation).response

    # then both answers belong to the same member
    assert second.member == first.member == member
    assert set(member.responses.values_list("wave__name", flat=True)) == {"w1", "w2"}


def test_members_who_already_answered_the_wave_or_have_no_contact_are_skipped(
    fieldwork, django_capture_on_commit_callbacks
):
    study, _version, wave = fieldwork
    answered = make_member(study, email="anna@example.org", recruited_in=wave)
    add_response(wave, member=answered)
    make_member(study)

    run = invite(wave, django_capture_on_commit_callbacks)

    assert (run.created, run.without_contact) == (0, 1)
    assert mail.outbox == []


def test_invite_panel_refuses_a_closed_wave(fieldwork):
    study, _version, wave = fieldwork
    make_member(study, email="anna@example.org")
    close_wave(wave)
    wave.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        invite_panel(wave)

    assert error.value.messages == [ERROR_WAVE_CLOSED.format(wave=wave.pk)]
    assert not Invitation.objects.exists()


def test_telegram_only_members_are_listed_with_links_once(
    fieldwork, django_capture_on_commit_callbacks
):
    study, _version, wave = fieldwork
    member = make_member(study, telegram="@Olga_K2024")
    run = invite(wave, django_capture_on_commit_callbacks)
    assert (run.emails_queued, run.telegram_pending) == (0, 1)

    out = io.StringIO()
    assert write_telegram_links(wave, out) == 1

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(row["pseudonym"], row["telegram"]) for row in rows] == [
        (member.pseudonym, "@olga_k2024")
    ]
    assert resolve(token_in(PERSONAL, rows[0]["link"])).member == member
    assert write_telegram_links(wave, io.StringIO()) == 0
    assert mail.outbox == []


def test_telegram_links_command_writes_the_csv(
    fieldwork, tmp_path, django_capture_on_commit_callbacks
):
    study, _version, wave = fieldwork
    make_member(study, telegram="olga_k2024")
    invite(wave, django_capture_on_commit_callbacks)
    out = tmp_path / "links.csv"
    stdout = io.StringIO()

    call_command("telegram_links", "--wave", str(wave.pk), "--out", str(out), stdout=stdout)

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 1
    assert rows[0]["link"].startswith("http")
    assert stdout.getvalue() == f"wave {wave.pk}: 1 Telegram links written to {out}\n"


def test_reminders_go_to_non_completers_when_due_and_stop_at_the_maximum(
    fieldwork, settings, django_capture_on_commit_callbacks
):
    # given two invited members, one of whom completed
    study, _version, wave = fieldwork
    settings.INVITATION_MAX_REMINDERS = 1
    settings.INVITATION_REMINDER_DAYS = 3
    waiting = make_member(study, email="anna@example.org")
    done = make_member(study, email="boris@example.org")
    invite(wave, django_capture_on_commit_callbacks)
    add_response(wave, member=done, status=ResponseStatus.COMPLETED)
    mail.outbox.clear()
    invitations = Invitation.objects.all()

    def sweep(days_ago: int) -> int:
        # The clock is the real one (the task re-checks with it): move the history back.
        past = timezone.now() - timedelta(days=days_ago)
        invitations.update(sent_at=past)
        invitations.exclude(last_reminded_at=None).update(last_reminded_at=past)
        with django_capture_on_commit_callbacks(execute=True):
            return send_reminders()

    # when the sweep runs too early, then when due, then again after the maximum
    early, due, after_max = sweep(1), sweep(4), sweep(10)

    # then exactly one reminder went, to the one who has not completed
    assert (early, due, after_max) == (0, 1, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.org"]
    assert mail.outbox[0].subject.startswith("Reminder")
    assert Invitation.objects.get(member=waiting).reminders_sent == 1
    assert resolve(personal_token(mail.outbox[0])).member == waiting


def test_withdraw_link_asks_then_withdraws(fieldwork, client, django_capture_on_commit_callbacks):
    # given a member who received an invitation in Russian
    study, _version, wave = fieldwork
    member = make_member(study, email="boris@example.org", language="ru")
    invite(wave, django_capture_on_commit_callbacks)
    path = "/w/" + token_in(WITHDRAW, mail.outbox[0].body) + "/"

    # when they open the link, then confirm
    page = client.get(path)
    confirmed = client.post(path)
    after = client.get(path)

    # then the page asked first, and the member is withdrawn
    assert page.status_code == 200
    assert "Выйти из панели?" in page.content.decode()
    member.refresh_from_db()
    assert confirmed.status_code == 303
    assert member.status == MemberStatus.WITHDRAWN
    assert "Вы вышли из панели" in after.content.decode()


def test_a_tampered_withdraw_link_changes_nothing(fieldwork, client):
    study, _version, _wave = fieldwork
    member = make_member(study, email="anna@example.org")

    reply = client.post(f"/w/{member.pseudonym}:forged/")

    assert reply.status_code == 404
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


def test_invite_panel_and_send_reminders_commands_print_json(
    fieldwork, django_capture_on_commit_callbacks
):
    study, _version, wave = fieldwork
    make_member(study, email="anna@example.org")
    make_member(study, telegram="olga_k2024")
    make_member(study)
    invited, reminded = io.StringIO(), io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("invite_panel", "--wave", str(wave.pk), "--json", stdout=invited)
    call_command("send_reminders", "--wave", str(wave.pk), "--json", stdout=reminded)

    assert json.loads(invited.getvalue()) == {
        "wave_id": wave.pk,
        "created": 2,
        "emails_queued": 1,
        "telegram_pending": 1,
        "without_contact": 1,
        "possible_duplicates": 0,
    }
    assert json.loads(reminded.getvalue()) == {"reminders_queued": 0}
    assert len(mail.outbox) == 1


def test_invite_panel_command_fails_in_one_line_for_a_closed_wave(fieldwork):
    _study, _version, wave = fieldwork
    close_wave(wave)

    with pytest.raises(CommandError, match=f"Wave {wave.pk} is not open"):
        call_command("invite_panel", "--wave", str(wave.pk))


def test_sending_logs_neither_address_nor_token(
    fieldwork, caplog, django_capture_on_commit_callbacks
):
    study, _version, wave = fieldwork
    make_member(study, email="anna@example.org")

    with caplog.at_level(logging.DEBUG):
        invite(wave, django_capture_on_commit_callbacks)

    assert caplog.records  # the task's own log lines were captured
    assert "anna" not in caplog.text
    assert personal_token(mail.outbox[0]) not in caplog.text


def test_sending_is_rate_limited_and_reminders_are_on_the_beat_schedule(settings):
    from config.celery import app
    from respondents.tasks import send_invitation_task

    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders"]

    assert send_invitation_task.rate_limit == settings.INVITATION_RATE_LIMIT
    assert entry["task"] in app.tasks
    assert app.tasks[entry["task"]].name == "respondents.send_reminders"


@pytest.mark.parametrize("_case", ["withdrawal", "erasure"])
def test_the_first_link_still_opens_after_a_reminder_until_the_member_leaves(
    _case, fieldwork, client, django_capture_on_commit_callbacks
):
    # given: an invitation and a reminder, each with its own link
    from respondents.delivery import send_invitation
    from respondents.services.erasure import erase_member

    study, _version, wave = fieldwork
    member = make_member(study, email="anna@example.org")
    invite(wave, django_capture_on_commit_callbacks)
    Invitation.objects.update(sent_at=timezone.now() - timedelta(days=30))
    assert send_invitation(Invitation.objects.get().pk, kind="reminder") is True
    first, reminder = (personal_token(message) for message in mail.outbox)
    assert first != reminder

    # when / then: the first e-mail's link opens the same invitation as the reminder's
    assert resolve(first) == resolve(reminder)
    assert client.get(f"/i/{first}/").status_code == 200
    assert client.get(f"/i/{reminder}/").status_code == 200

    # when the member leaves, then every link is dead, even were they active again
    if _case == "withdrawal":
        withdraw_member(member)
    else:
        erase_member(member)
    member.refresh_from_db()
    member.status = MemberStatus.ACTIVE
    member.save(update_fields=["status"])
    assert resolve_invitation(first) is None
    assert resolve_invitation(reminder) is None
    assert client.get(f"/i/{first}/").status_code == 404


def test_a_telegram_resend_keeps_the_earlier_link_working(fieldwork):
    study, _version, wave = fieldwork
    make_member(study, telegram="@anna_k")
    invite_panel(wave)
    first_csv, resent_csv = io.StringIO(), io.StringIO()
    write_telegram_links(wave, first_csv)

    write_telegram_links(wave, resent_csv, resend=True)

    first = token_in(PERSONAL, first_csv.getvalue())
    resent = token_in(PERSONAL, resent_csv.getvalue())
    assert first != resent
    assert resolve(first) == resolve(resent)


def test_the_withdraw_page_speaks_the_language_of_the_email_and_can_switch(
    fieldwork, client, django_capture_on_commit_callbacks
):
    # given a member with no preferred language in a study whose default is Russian
    study, _version, wave = fieldwork
    member = make_member(study, email="boris@example.org", language="")
    invite(wave, django_capture_on_commit_callbacks)
    assert "приглашение к опросу" in mail.outbox[0].subject
    path = "/w/" + token_in(WITHDRAW, mail.outbox[0].body) + "/"

    # when
    default = client.get(path)
    switched = client.get(path + "?lang=en")
    confirmed = client.post(path + "?lang=en")

    # then: Russian like the e-mail, with links to switch; the switch holds through the post
    page = default.content.decode()
    assert "Выйти из панели?" in page
    assert default["Content-Language"] == "ru"
    assert 'href="?lang=en"' in page
    assert 'href="?lang=ru"' in page
    assert "Leave the panel?" in switched.content.decode()
    assert confirmed.status_code == 303
    assert confirmed["Location"] == path + "?lang=en"
    assert "You have left the panel" in client.get(confirmed["Location"]).content.decode()
    member.refresh_from_db()
    assert member.status == MemberStatus.WITHDRAWN


def test_a_refused_recipient_is_retried_without_the_address_reaching_the_log(
    fieldwork, settings, caplog
):
    # given an SMTP relay that refuses the recipient, naming it in the exception
    from respondents.delivery import (
        ERROR_DELIVERY,
        MailDeliveryError,
        send_invitation,
    )
    from respondents.tasks import send_invitation_task
    from tests.respondents import refusing_mail

    study, _version, wave = fieldwork
    make_member(study, email="anna.k@example.org")
    invite_panel(wave)
    invitation = Invitation.objects.get()
    settings.EMAIL_BACKEND = "tests.respondents.refusing_mail.RefusingBackend"
    refusing_mail.ATTEMPTS.clear()

    # when the task runs (eagerly: the automatic retry surfaces as Retry)
    with caplog.at_level(logging.DEBUG), pytest.raises(Retry) as retry:
        send_invitation_task.delay(invitation.pk).get()

    # then it is retried as transient, and neither the retry nor its cause names the address
    assert refusing_mail.ATTEMPTS == [1]
    message = ERROR_DELIVERY.format(invitation=invitation.pk, reason="SMTPRecipientsRefused")
    assert isinstance(retry.value.exc, OSError)
    assert str(retry.value.exc) == message
    assert "anna.k" not in str(retry.value)
    assert "anna.k" not in caplog.text
    assert Invitation.objects.get().sent_at is None
    # and the service's own exception, traceback included, names only the invitation
    with pytest.raises(MailDeliveryError) as failure:
        send_invitation(invitation.pk)
    assert str(failure.value) == message
    assert "anna.k" not in "".join(traceback.format_exception(failure.value))


def test_telegram_links_command_refuses_an_unwritable_path_in_one_line(fieldwork, tmp_path):
    _study, _version, wave = fieldwork
    target = tmp_path / "already-a-directory"
    target.mkdir()

    with pytest.raises(CommandError) as refused:
        call_command("telegram_links", "--wave", str(wave.pk), "--out", str(target))

    assert str(refused.value) == f"{target}: Is a directory"
    assert Invitation.objects.filter(sent_at__isnull=False).count() == 0


def test_telegram_links_file_is_readable_by_its_owner_only(
    fieldwork, tmp_path, django_capture_on_commit_callbacks
):
    study, _version, wave = fieldwork
    make_member(study, telegram="olga_k2024")
    invite(wave, django_capture_on_commit_callbacks)
    out = tmp_path / "links.csv"

    call_command("telegram_links", "--wave", str(wave.pk), "--out", str(out), stdout=io.StringIO())

    assert out.stat().st_mode & 0o777 == 0o600
