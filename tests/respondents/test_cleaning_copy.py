"""Cleaning reads a wave through PostgreSQL's COPY: the same frame as the ORM reading."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection

from respondents.cleaning.loading import load_wave_frame
from respondents.models import Response, ResponseStatus
from respondents.quality.config import CleaningConfig
from respondents.quality.frame import WaveFrame
from tests.respondents.cleaning_wave import START, build_cleaning_wave

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def frames() -> tuple[WaveFrame, WaveFrame]:
    wave = build_cleaning_wave().wave
    # Texts a CSV reading could mistake: a null marker, an empty answer, a quoted newline.
    for k, comment in enumerate(["NA", "", 'two\nlines, "quoted"', "null"]):
        Response.objects.create(
            wave=wave,
            answers={"t1": "2", "check": "NA" if k == 0 else "2", "comment": comment, "age": 40},
            paradata={"pages": {"trust": {"seconds": 12.5}}},
            started_at=START + timedelta(days=2, minutes=k),
            status=ResponseStatus.IN_PROGRESS,
            channel="tg",
            source_id="" if k == 1 else f"odd-{k}",
        )
    config = CleaningConfig()
    assert connection.vendor == "postgresql"
    through_copy = load_wave_frame(wave, config=config, now=NOW)
    # the row-by-row reading every other database gets
    through_orm = load_wave_frame(wave, config=config, now=NOW, through_copy=False)
    return through_copy, through_orm


def test_the_copy_reading_gives_the_frame_the_orm_reading_gives():
    through_copy, through_orm = frames()

    for field in dataclasses.fields(through_copy):
        a, b = getattr(through_copy, field.name), getattr(through_orm, field.name)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, equal_nan=True, err_msg=field.name)
        elif isinstance(a, np.ndarray):
            assert a.tolist() == b.tolist(), field.name
        elif isinstance(a, dict):
            assert {k: v.tolist() for k, v in a.items()} == {k: v.tolist() for k, v in b.items()}, (
                field.name
            )
        else:
            assert a == b, field.name
    assert through_copy.size == 52
