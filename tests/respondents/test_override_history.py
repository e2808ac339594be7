"""Overrides are kept and audited: a new decision revokes the earlier one without erasing
it, and a revoked decision no longer holds the flag back on the next run."""

from __future__ import annotations

import io
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from respondents.cleaning.service import (
    NO_ACTIVE_OVERRIDE,
    REPLACED,
    CleaningError,
    clean_wave,
    override_flag,
    revoke_override,
)
from respondents.models import FlagOverride, QualityFlag
from tests.builders import make_user
from tests.conftest import postgres_only
from tests.respondents.cleaning_wave import build_cleaning_wave

pytestmark = pytest.mark.django_db


def _rsi_flagged(response_id: int) -> bool:
    return QualityFlag.objects.filter(response_id=response_id, rule="speeder:rsi").exists()


def test_a_second_decision_keeps_the_first_revoked_with_who_and_why():
    # given
    planted = build_cleaning_wave()
    clean_wave(planted.wave.pk)
    alice, bob = make_user("alice"), make_user("bob")
    speeder = planted.ids["speeder"]
    first = override_flag(speeder, rule="speeder:rsi", reason="fast reader", decided_by=alice)

    # when
    second = override_flag(speeder, rule="speeder:rsi", reason="checked the log", decided_by=bob)

    # then: both decisions stand in the record, one of them active
    first.refresh_from_db()
    assert (first.reason, first.decided_by, first.revoked_by) == ("fast reader", alice, bob)
    assert first.revoked_at is not None
    assert first.revoke_reason == REPLACED
    assert second.revoked_at is None
    assert FlagOverride.objects.filter(response_id=speeder).count() == 2
    assert list(FlagOverride.objects.active().filter(response_id=speeder)) == [second]


def test_a_revoked_override_lets_the_next_run_raise_the_flag_again():
    # given
    planted = build_cleaning_wave()
    clean_wave(planted.wave.pk)
    speeder = planted.ids["speeder"]
    override_flag(speeder, rule="speeder:rsi", reason="fast reader")
    clean_wave(planted.wave.pk)
    assert not _rsi_flagged(speeder)

    # when
    revoked = revoke_override(speeder, rule="speeder:rsi", reason="log shows 2 s pages")
    clean_wave(planted.wave.pk)

    # then
    assert revoked.revoke_reason == "log shows 2 s pages"
    assert _rsi_flagged(speeder)


def test_revoking_what_is_not_overridden_is_refused_by_name():
    planted = build_cleaning_wave()
    speeder = planted.ids["speeder"]

    message = NO_ACTIVE_OVERRIDE.format(rule="speeder:rsi", response_id=speeder)
    with pytest.raises(CleaningError, match=re.escape(message)):
        revoke_override(speeder, rule="speeder:rsi", reason="x")


def test_the_command_revokes_with_a_reason():
    planted = build_cleaning_wave()
    speeder = planted.ids["speeder"]
    override_flag(speeder, rule="speeder:rsi", reason="fast reader")
    out = io.StringIO()

    call_command(
        "override_flag", str(speeder), "speeder:rsi", "--revoke", "--reason", "wrong", "--json",
        stdout=out,
    )  # fmt: skip

    summary = json.loads(out.getvalue())
    assert summary["revoked"] is True
    assert FlagOverride.objects.active().count() == 0
    with pytest.raises(CommandError, match="no active override"):
        call_command("override_flag", str(speeder), "speeder:rsi", "--revoke", "--reason", "x")


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_first_decisions_at_once_both_stand_one_of_them_active():
    # given
    planted = build_cleaning_wave()
    speeder = planted.ids["speeder"]
    start = threading.Barrier(2)

    def decide(reason: str) -> str:
        start.wait(timeout=10)
        try:
            return override_flag(speeder, rule="speeder:rsi", reason=reason).reason
        finally:
            connection.close()

    # when
    with ThreadPoolExecutor(max_workers=2) as pool:
        reasons = list(pool.map(decide, ["first", "second"]))

    # then: neither failed; both are on record, the later one active
    assert sorted(reasons) == ["first", "second"]
    assert FlagOverride.objects.filter(response_id=speeder).count() == 2
    assert FlagOverride.objects.active().filter(response_id=speeder).count() == 1
