"""Fieldwork figures, exact on a small constructed pair of waves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from respondents.models import Invitation, ResponseStatus
from respondents.services.figures import CountRow, wave_figures
from respondents.tokens import issue_invitation
from tests.respondents.fieldwork import (
    START,
    add_response,
    make_fieldwork_study,
    make_member,
    make_wave,
)

pytestmark = pytest.mark.django_db

DAY2 = START + timedelta(days=1)


@pytest.fixture
def second_wave():
    # given wave 1 completed by A, B and C
    study, version = make_fieldwork_study()
    wave1 = make_wave(study, version, "w1")
    a, b, c, d = (make_member(study, email=f"{n}@example.org") for n in "abcd")
    for member in (a, b, c):
        add_response(wave1, member=member)
    # and wave 2, to which all four were invited (D's invitation was created, never sent
    # to anyone else: it is sent too)
    wave2 = make_wave(study, version, "w2")
    for member in (a, b, c, d):
        issue_invitation(member, wave2)
    Invitation.objects.filter(wave=wave2).update(sent_at=timezone.now())
    # A completes by invitation (5 min), B through the open link (10 min), C is half-way,
    # a newcomer completes from Telegram in Russian on day 2 (15 min), another gives up
    add_response(wave2, member=a, seconds=300, channel="mail")
    add_response(wave2, member=b, seconds=600, channel="tg")
    add_response(wave2, member=c, status=ResponseStatus.IN_PROGRESS, channel="mail")
    add_response(wave2, started_at=DAY2, seconds=900, channel="tg", language="ru")
    add_response(wave2, started_at=DAY2, status=ResponseStatus.ABANDONED, channel="tg")
    return wave1, wave2


def test_wave_figures_are_exact(second_wave):
    wave1, wave2 = second_wave

    figures = wave_figures(wave2)

    assert (figures.completes, figures.partials) == (3, 2)
    assert (figures.invited, figures.invited_completed) == (4, 2)
    assert figures.panel_response_rate == 0.5
    assert figures.previous_wave_id == wave1.pk
    assert (figures.previous_completers, figures.retained) == (3, 2)
    assert figures.retention == pytest.approx(2 / 3)
    assert figures.median_duration_seconds == 600.0
    assert figures.by_day == (
        CountRow("2026-03-02", completes=2, partials=1),
        CountRow("2026-03-03", completes=1, partials=1),
    )
    assert figures.by_channel == (
        CountRow("mail", completes=1, partials=1),
        CountRow("tg", completes=2, partials=1),
    )
    assert figures.by_language == (
        CountRow("en", completes=2, partials=2),
        CountRow("ru", completes=1, partials=0),
    )


def test_a_first_wave_has_no_retention_and_no_invitations(second_wave):
    wave1, _wave2 = second_wave

    figures = wave_figures(wave1)

    assert (figures.completes, figures.invited) == (3, 0)
    assert figures.panel_response_rate is None
    assert figures.previous_wave_id is None
    assert figures.retention is None
    assert figures.median_duration_seconds == 300.0
