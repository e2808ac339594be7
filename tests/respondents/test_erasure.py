"""Erasure: contact details go; with --with-responses the answers and membership too;
nothing identifying reaches the log."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command

from respondents.models import (
    CleaningRun,
    Contact,
    Invitation,
    MemberStatus,
    PanelMember,
    QualityFlag,
    Response,
)
from respondents.services.erasure import erase_member
from respondents.tokens import issue_invitation, resolve_invitation
from tests.respondents.fieldwork import (
    START,
    add_response,
    make_fieldwork_study,
    make_member,
    make_wave,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def panelist():
    study, version = make_fieldwork_study()
    wave = make_wave(study, version, "w1")
    member = make_member(study, email="anna@example.org", telegram="anna_tg_1")
    member.panel_key_hash = "f" * 64
    member.save(update_fields=["panel_key_hash"])
    response = add_response(wave, member=member)
    run = CleaningRun.objects.create(wave=wave, started_at=START)
    QualityFlag.objects.create(response=response, run=run, rule="speeder", score=1.0)
    other = make_member(study, email="boris@example.org")
    add_response(wave, member=other)
    return member, wave


def test_erasure_removes_the_contact_and_keeps_answers_under_the_pseudonym(panelist, caplog):
    member, wave = panelist
    _invitation, token = issue_invitation(member, wave)

    with caplog.at_level(logging.INFO):
        erasure = erase_member(member)

    member.refresh_from_db()
    assert not Contact.objects.filter(member=member).exists()
    assert member.panel_key_hash is None
    assert member.status == MemberStatus.WITHDRAWN
    assert Response.objects.filter(member=member).count() == 1
    assert resolve_invitation(token) is None
    assert (erasure.contact_erased, erasure.responses_deleted) == (True, 0)
    assert "anna" not in caplog.text
    assert member.pseudonym in caplog.text


def test_erasure_with_responses_leaves_nothing_of_the_person(panelist, caplog):
    member, wave = panelist
    issue_invitation(member, wave)

    with caplog.at_level(logging.INFO):
        erasure = erase_member(member, with_responses=True)

    assert not PanelMember.objects.filter(pk=member.pk).exists()
    assert not Response.objects.filter(member_id=member.pk).exists()
    assert not Invitation.objects.filter(member_id=member.pk).exists()
    assert not QualityFlag.objects.exists()
    assert Contact.objects.count() == 1  # the other member's
    assert Response.objects.count() == 1
    assert (erasure.responses_deleted, erasure.member_deleted) == (1, True)
    assert "anna" not in caplog.text


def test_erase_member_command_finds_the_member_by_email(panelist):
    member, _wave = panelist
    out = io.StringIO()

    call_command(
        "erase_member", "--email", "ANNA@example.org", "--with-responses", "--json", stdout=out
    )

    assert json.loads(out.getvalue()) == {
        "erased": [member.pseudonym],
        "contacts_erased": 1,
        "responses_deleted": 1,
        "members_deleted": 1,
    }
    assert PanelMember.objects.count() == 1


def test_erase_member_command_by_telegram_and_by_pseudonym(panelist):
    member, _wave = panelist

    call_command("erase_member", "--telegram", "@Anna_TG_1", stdout=io.StringIO())
    out = io.StringIO()
    call_command("erase_member", "--pseudonym", member.pseudonym, "--json", stdout=out)

    assert not Contact.objects.filter(member=member).exists()
    assert json.loads(out.getvalue())["contacts_erased"] == 0
    assert Response.objects.filter(member=member).count() == 1


def test_erase_member_command_fails_without_echoing_the_address(panelist):
    with pytest.raises(CommandError) as error:
        call_command("erase_member", "--email", "nobody@example.org")

    assert str(error.value) == "no panel member matches"


@pytest.mark.parametrize("_case", ["the later member is erased", "the earlier member is erased"])
def test_erasure_unlinks_possible_duplicates_so_no_contact_names_the_erased_member(_case):
    # given two members who gave the same address: the later one points at the earlier
    study, _version = make_fieldwork_study()
    earlier = make_member(study, email="anna@example.org")
    later = make_member(study, email="anna@example.org")
    later.refresh_from_db()
    assert later.possible_duplicate_of == earlier
    erased, kept = (later, earlier) if _case == "the later member is erased" else (earlier, later)

    # when
    erase_member(erased)

    # then the kept member's contact no longer leads to the erased member's answers
    erased.refresh_from_db()
    kept.refresh_from_db()
    assert erased.possible_duplicate_of is None
    assert kept.possible_duplicate_of is None
    assert PanelMember.objects.filter(possible_duplicate_of__isnull=False).count() == 0
