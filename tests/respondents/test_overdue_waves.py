"""A wave past its scheduled close is closed by the beat sweep: its break-offs become
abandoned (so exports and figures see them) and its close time stays the scheduled one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from respondents.models import Response, ResponseStatus, Wave, WaveState
from respondents.services.responses import start_response
from respondents.services.waves import close_overdue_waves, open_wave
from respondents.tasks import close_overdue_waves_task
from tests.respondents.form_helpers import make_version

pytestmark = pytest.mark.django_db


def test_the_sweep_closes_overdue_waves_only_and_abandons_their_break_offs(settings):
    # given: one wave past its close time with a break-off, one still to close, one open-ended
    version = make_version()
    study = version.questionnaire.study
    now = timezone.now()
    overdue = open_wave(study, version, "overdue")
    broke_off = start_response(overdue, language="en").response
    scheduled = now - timedelta(hours=2)
    Wave.objects.filter(pk=overdue.pk).update(closes_at=scheduled)
    later = open_wave(study, version, "later", closes_at=now + timedelta(days=3))
    open_ended = open_wave(study, version, "open-ended")

    # when
    closed = close_overdue_waves(now=now)

    # then
    assert closed == [overdue.pk]
    overdue.refresh_from_db()
    assert overdue.state == WaveState.CLOSED
    assert overdue.closes_at == scheduled
    assert Response.objects.get(pk=broke_off.pk).status == ResponseStatus.ABANDONED
    assert Wave.objects.get(pk=later.pk).state == WaveState.OPEN
    assert Wave.objects.get(pk=open_ended.pk).state == WaveState.OPEN
    assert close_overdue_waves(now=now) == []
    assert "close-overdue-waves" in settings.CELERY_BEAT_SCHEDULE


def test_the_beat_task_runs_the_sweep():
    version = make_version()
    wave = open_wave(version.questionnaire.study, version, "w1")
    Wave.objects.filter(pk=wave.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    assert close_overdue_waves_task.apply().get() == 1
    assert Wave.objects.get(pk=wave.pk).state == WaveState.CLOSED
