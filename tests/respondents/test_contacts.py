"""Contacts: encrypted at rest, blind-indexed, duplicates recorded (never merged), rotatable
keys."""

from __future__ import annotations

import io
import json
import logging

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from respondents.models import Contact, Invitation, PanelMember
from respondents.services import contacts
from respondents.services.contacts import (
    ERROR_EMAIL,
    ERROR_NO_CONTACT,
    ERROR_TELEGRAM,
    ContactDetails,
    find_members_by_contact,
    normalise_telegram,
    reveal_contact,
    rotate_contact_keys,
    store_contact,
)
from respondents.services.invitations import invite_panel, withdraw_member
from respondents.services.panel_signup import join_panel
from respondents.tokens import issue_invitation
from tests.respondents.fieldwork import add_response, make_fieldwork_study, make_member, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def study():
    return make_fieldwork_study()[0]


def raw_contact_row(member: PanelMember) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT email_encrypted, telegram_encrypted, email_blind_index, telegram_blind_index"
            " FROM respondents_contact WHERE member_id = %s",
            [member.pk],
        )
        return " ".join(str(value) for value in cursor.fetchone())


def test_contact_is_encrypted_at_rest_and_readable_through_the_choke_point(study):
    member = make_member(study, email="Olga.K@Example.org", telegram="@Olga_K2024")

    row = raw_contact_row(member)

    assert "olga" not in row.lower()
    assert "example.org" not in row.lower()
    details = reveal_contact(member)
    assert (details.email, details.telegram) == ("olga.k@example.org", "olga_k2024")
    assert "olga" not in repr(details).lower()


@pytest.mark.parametrize(
    ("_case", "raw", "expected"),
    [
        ("at sign", "@Olga_K2024", "olga_k2024"),
        ("link", "https://t.me/Olga_K2024", "olga_k2024"),
        ("bare", "olga_k2024", "olga_k2024"),
    ],
)
def test_telegram_handles_are_normalised(_case, raw, expected):
    assert normalise_telegram(raw) == expected


@pytest.mark.parametrize(
    ("_case", "kwargs", "message"),
    [
        ("nothing", {}, ERROR_NO_CONTACT),
        ("bad email", {"email": "not-an-address"}, ERROR_EMAIL),
        ("short handle", {"telegram": "@abc"}, ERROR_TELEGRAM),
    ],
)
def test_store_contact_refuses_bad_input_and_writes_nothing(study, _case, kwargs, message):
    member = make_member(study)

    with pytest.raises(ValidationError) as error:
        store_contact(member, **kwargs)

    assert error.value.messages == [message]
    assert not Contact.objects.exists()


def test_a_duplicate_contact_never_takes_over_the_earlier_membership(study, caplog):
    # given a panelist with a wave-1 answer and an invitation
    version = study.questionnaires.get().versions.get()
    wave1 = make_wave(study, version, "w1")
    old = make_member(study, email="anna@example.org")
    add_response(wave1, member=old)
    invitation, _token = issue_invitation(old, wave1)
    # and someone joining through the open link of wave 2 with the same (unverified) address
    wave2 = make_wave(study, version, "w2")
    newcomer = make_member(study)
    add_response(wave2, member=newcomer)

    # when
    with caplog.at_level(logging.INFO):
        store_contact(newcomer, email="ANNA@example.org ", telegram="anna_tg_1")

    # then both memberships stay as they were, and the match is recorded on the newcomer
    assert PanelMember.objects.count() == 2
    old.refresh_from_db()
    newcomer.refresh_from_db()
    assert newcomer.possible_duplicate_of == old
    assert old.possible_duplicate_of is None
    assert newcomer.pseudonym != old.pseudonym
    assert list(old.responses.values_list("wave__name", flat=True)) == ["w1"]
    assert list(newcomer.responses.values_list("wave__name", flat=True)) == ["w2"]
    assert Invitation.objects.get().member == old == invitation.member
    assert reveal_contact(old) == ContactDetails(email="anna@example.org")
    assert reveal_contact(newcomer).telegram == "anna_tg_1"
    assert find_members_by_contact(email="anna@example.org") == [old, newcomer]
    assert "anna" not in caplog.text.lower()


def test_a_withdrawn_member_is_not_merged_with_a_new_one(study):
    old = make_member(study, email="anna@example.org")
    withdraw_member(old)
    newcomer = make_member(study)

    store_contact(newcomer, email="anna@example.org")

    assert PanelMember.objects.count() == 2
    assert reveal_contact(old).email == ""
    assert reveal_contact(newcomer).email == "anna@example.org"


def test_key_rotation_keeps_contacts_readable_after_the_old_key_is_dropped(study, settings):
    # given contacts written under the old key
    old_key = settings.PANELWAVE_CONTACT_KEYS[0]
    member = make_member(study, email="boris@example.org", telegram="boris_tg")
    new_key = Fernet.generate_key().decode()

    # when a new key goes first and the rows are re-encrypted
    settings.PANELWAVE_CONTACT_KEYS = [new_key, old_key]
    assert rotate_contact_keys() == 1
    settings.PANELWAVE_CONTACT_KEYS = [new_key]

    # then they read with the new key alone
    assert reveal_contact(member).email == "boris@example.org"
    assert reveal_contact(member).telegram == "boris_tg"


def test_rotation_works_in_batches(study, settings, monkeypatch):
    monkeypatch.setattr(contacts, "ROTATION_BATCH_SIZE", 2)
    members = [make_member(study, email=f"p{i}@example.org") for i in range(5)]
    new_key = Fernet.generate_key().decode()
    settings.PANELWAVE_CONTACT_KEYS = [new_key, *settings.PANELWAVE_CONTACT_KEYS]

    assert rotate_contact_keys() == 5

    settings.PANELWAVE_CONTACT_KEYS = [new_key]
    assert [reveal_contact(m).email for m in members] == [f"p{i}@example.org" for i in range(5)]


def test_joining_again_from_the_open_link_makes_a_flagged_member_invited_only_once(
    study, django_capture_on_commit_callbacks
):
    # given a panelist from wave 1 who answers wave 2 through the open link
    version = study.questionnaires.get().versions.get()
    wave1, wave2 = make_wave(study, version, "w1"), make_wave(study, version, "w2")
    panelist = make_member(study, email="anna@example.org")
    add_response(wave1, member=panelist)
    open_link_answer = add_response(wave2)

    # when they leave the same address on the end page, and wave 3 invites the panel
    member = join_panel(open_link_answer.pk, email="Anna@Example.org")
    wave3 = make_wave(study, version, "w3")
    with django_capture_on_commit_callbacks(execute=True):
        run = invite_panel(wave3)

    # then the answers stay with the member who gave them, and the address gets one link
    assert PanelMember.objects.count() == 2
    assert member.pk != panelist.pk
    assert member.possible_duplicate_of == panelist
    open_link_answer.refresh_from_db()
    assert open_link_answer.member_id == member.pk
    assert list(panelist.responses.values_list("wave__name", flat=True)) == ["w1"]
    assert (run.created, run.possible_duplicates) == (1, 1)
    assert [message.to for message in mail.outbox] == [["anna@example.org"]]
    assert Invitation.objects.get(wave=wave3).member == panelist


def test_a_possible_duplicate_is_invited_once_the_earlier_member_withdraws(study):
    version = study.questionnaires.get().versions.get()
    earlier = make_member(study, email="anna@example.org")
    later = make_member(study, email="anna@example.org")
    assert later.possible_duplicate_of == earlier
    withdraw_member(earlier)

    run = invite_panel(make_wave(study, version, "w1"))

    assert (run.created, run.possible_duplicates) == (1, 0)
    assert Invitation.objects.get().member == later


def test_rotate_contact_keys_command_rotates_contacts_and_wave_keys(study, settings):
    version = study.questionnaires.get().versions.get()
    make_wave(study, version, "w1")
    member = make_member(study, email="boris@example.org")
    new_key = Fernet.generate_key().decode()
    settings.PANELWAVE_CONTACT_KEYS = [new_key, *settings.PANELWAVE_CONTACT_KEYS]
    out = io.StringIO()

    call_command("rotate_contact_keys", "--json", stdout=out)

    assert json.loads(out.getvalue()) == {"contacts": 1, "wave_keys": 1}
    settings.PANELWAVE_CONTACT_KEYS = [new_key]
    assert reveal_contact(member).email == "boris@example.org"
