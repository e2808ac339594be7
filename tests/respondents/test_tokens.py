import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from respondents.models import (
    EarlierInvitationToken,
    Invitation,
    MemberStatus,
    PanelMember,
    Response,
    Wave,
)
from respondents.tokens import (
    ERROR_OTHER_STUDY,
    ERROR_WITHDRAWN,
    hash_token,
    issue_invitation,
    issue_resume_token,
    make_withdraw_token,
    personal_link,
    resolve_invitation,
    resolve_resume_token,
    resolve_withdraw_token,
    resume_link,
    revoke_invitation_tokens,
    withdraw_link,
)
from tests.builders import make_study
from tests.respondents.form_helpers import make_wave

pytestmark = pytest.mark.django_db


def _member(wave: Wave, pseudonym: str = "p1", status: str = MemberStatus.ACTIVE) -> PanelMember:
    return PanelMember.objects.create(study=wave.study, pseudonym=pseudonym, status=status)


def test_issue_invitation_stores_only_the_hash_of_a_long_token():
    wave = make_wave()
    member = _member(wave)

    invitation, token = issue_invitation(member, wave)

    assert len(token) >= 43
    assert invitation.token_hash == hash_token(token)
    assert token not in str(Invitation.objects.values_list().get(pk=invitation.pk))
    assert resolve_invitation(token) == invitation


def test_issue_invitation_again_adds_a_token_and_earlier_ones_keep_working():
    wave = make_wave()
    member = _member(wave)
    first, old_token = issue_invitation(member, wave)

    second, new_token = issue_invitation(member, wave)

    assert second.pk == first.pk
    assert new_token != old_token
    assert Invitation.objects.count() == 1
    assert resolve_invitation(old_token) == first
    assert resolve_invitation(new_token) == first
    # Hashes only: neither raw token is stored anywhere.
    assert Invitation.objects.get().token_hash == hash_token(new_token)
    assert list(EarlierInvitationToken.objects.values_list("token_hash", flat=True)) == [
        hash_token(old_token)
    ]
    stored = str(list(EarlierInvitationToken.objects.values_list())) + str(
        list(Invitation.objects.values_list())
    )
    assert old_token not in stored
    assert new_token not in stored


def test_revoking_an_invitation_kills_every_token_it_was_issued():
    wave = make_wave()
    member = _member(wave)
    invitation, first = issue_invitation(member, wave)
    _same, second = issue_invitation(member, wave)

    assert revoke_invitation_tokens([invitation.pk]) == 1

    assert resolve_invitation(first) is None
    assert resolve_invitation(second) is None
    assert EarlierInvitationToken.objects.count() == 0


def test_issue_invitation_refuses_a_withdrawn_member_and_another_study():
    wave = make_wave()
    withdrawn = _member(wave, "p2", MemberStatus.WITHDRAWN)
    stranger = PanelMember.objects.create(study=make_study("other"), pseudonym="p3")

    with pytest.raises(ValidationError) as withdrawn_error:
        issue_invitation(withdrawn, wave)
    with pytest.raises(ValidationError) as stranger_error:
        issue_invitation(stranger, wave)

    assert withdrawn_error.value.messages == [ERROR_WITHDRAWN.format(member=withdrawn.pk)]
    assert stranger_error.value.messages == [
        ERROR_OTHER_STUDY.format(member=stranger.pk, wave=wave.pk)
    ]
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    "token", ["", "short", "x" * 43 + "!", "a" * 500, "../../etc/passwd"], ids=lambda t: t[:10]
)
def test_resolve_invitation_returns_none_for_malformed_or_unknown_tokens(token):
    make_wave()

    assert resolve_invitation(token) is None
    assert resolve_resume_token(token) is None


def test_resolve_invitation_returns_none_once_the_member_withdraws():
    wave = make_wave()
    member = _member(wave)
    _invitation, token = issue_invitation(member, wave)

    PanelMember.objects.filter(pk=member.pk).update(status=MemberStatus.WITHDRAWN)

    assert resolve_invitation(token) is None


def test_resume_token_resolves_to_its_response_and_is_replaced_by_a_new_one():
    wave = make_wave()
    response = Response.objects.create(wave=wave, started_at=timezone.now())

    old_token = issue_resume_token(response)
    new_token = issue_resume_token(response)

    assert resolve_resume_token(old_token) is None
    assert resolve_resume_token(new_token) == response
    assert Response.objects.get(pk=response.pk).resume_token_hash == hash_token(new_token)


def test_withdraw_token_names_the_member_and_refuses_tampering():
    wave = make_wave()
    member = _member(wave)

    token = make_withdraw_token(member)

    assert resolve_withdraw_token(token) == member
    assert token.split(":")[0] == member.pseudonym
    assert resolve_withdraw_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert resolve_withdraw_token("p1") is None


def test_links_are_absolute_under_site_url(settings):
    settings.SITE_URL = "https://survey.example.org"

    assert personal_link("abc") == "https://survey.example.org/i/abc/"
    assert resume_link("abc") == "https://survey.example.org/r/abc/"
    assert withdraw_link("abc") == "https://survey.example.org/w/abc/"
