"""The narrow statement a resume token is resolved by (respondents/response_row.py) gives
what the ORM gives: the same values, the related objects cached, a deferred column loaded
on access, and the row lock only inside a transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Model
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from respondents.models import PanelMember, Response
from respondents.response_row import (
    MEMBER_FIELDS,
    RESPONSE_FIELDS,
    STUDY_FIELDS,
    VERSION_FIELDS,
    WAVE_FIELDS,
    response_by_token_hash,
)
from respondents.tokens import hash_token, issue_resume_token
from tests.respondents.form_helpers import make_wave

pytestmark = pytest.mark.django_db


def _response(*, with_member: bool) -> tuple[Response, str]:
    wave = make_wave()
    member = (
        PanelMember.objects.create(study=wave.study, pseudonym="m1", preferred_language="ru")
        if with_member
        else None
    )
    response = Response.objects.create(
        wave=wave,
        member=member,
        language="ru",
        started_at=timezone.now(),
        answers={"age": 34, "topics": ["war", "home"], "comment": "Спасибо"},
        paradata={"nav": {"step": 2, "entered_at": 1.5}, "pages": {"about": {"visits": 1}}},
        current_page="trust",
    )
    return response, issue_resume_token(response)


def _values(instance: Model | None, attnames: tuple[str, ...]) -> dict[str, object]:
    return {name: getattr(instance, name) for name in attnames}


@pytest.mark.parametrize("with_member", [True, False], ids=["member", "open link"])
def test_the_narrow_lookup_reads_what_the_orm_reads(with_member):
    # given a response with answers, paradata and (or not) a panel member
    created, token = _response(with_member=with_member)
    orm = Response.objects.select_related("wave__study", "wave__version", "member").get(
        pk=created.pk
    )

    # when it is found by its token's hash, in one query
    with CaptureQueriesContext(connection) as queries:
        found = response_by_token_hash(hash_token(token))
        assert found is not None
        wave, member = found.wave, found.member
        study, version = wave.study, wave.version
    assert len(queries.captured_queries) == 1

    # then every selected value is the ORM's (JSON decoded, times aware)
    assert _values(found, RESPONSE_FIELDS) == _values(orm, RESPONSE_FIELDS)
    assert _values(wave, WAVE_FIELDS) == _values(orm.wave, WAVE_FIELDS)
    assert _values(study, STUDY_FIELDS) == _values(orm.wave.study, STUDY_FIELDS)
    assert _values(version, VERSION_FIELDS) == _values(orm.wave.version, VERSION_FIELDS)
    if with_member:
        assert _values(member, MEMBER_FIELDS) == _values(orm.member, MEMBER_FIELDS)
    else:
        assert member is None
    assert found.answers["topics"] == ["war", "home"]
    assert found.paradata["nav"]["step"] == 2


def test_a_column_left_out_is_read_when_asked_for():
    # given a response found by the narrow lookup
    created, token = _response(with_member=False)
    found = response_by_token_hash(hash_token(token))
    assert found is not None

    # when a column it does not select is read, then it comes from the database
    with CaptureQueriesContext(connection) as queries:
        consent = found.wave.study.consent_text
    assert consent == created.wave.study.consent_text
    assert len(queries.captured_queries) == 1


def test_an_unknown_hash_finds_nothing():
    _response(with_member=False)
    assert response_by_token_hash(hash_token("x" * 43)) is None


@pytest.mark.django_db(transaction=True)
def test_locking_needs_a_transaction_and_locks_only_the_response_row():
    created, token = _response(with_member=False)

    # outside a transaction the lock would end with the statement: refused
    with pytest.raises(TransactionManagementError):
        response_by_token_hash(hash_token(token), lock=True)

    # inside one, the response row alone is locked
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        found = response_by_token_hash(hash_token(token), lock=True)
    assert found is not None
    assert found.pk == created.pk
    statement = queries.captured_queries[-1]["sql"]
    assert statement.endswith("FOR UPDATE OF r")
