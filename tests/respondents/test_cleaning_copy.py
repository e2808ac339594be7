"""Cleaning reads a wave through PostgreSQL's COPY: the same frame as the ORM reading."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from django.db import connection

from respondents.cleaning import loading
from respondents.cleaning.loading import load_wave_frame
from respondents.models import Response, ResponseStatus
from respondents.quality.config import CleaningConfig
from respondents.quality.frame import WaveFrame
from respondents.wave_copy import Columns, copy_columns
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

    assert_same_frame(through_copy, through_orm)
    assert through_copy.size == 52


def test_rows_sent_in_any_order_give_the_frame_in_id_order(monkeypatch):
    # given a database that sends the wave's rows last first, in batches of five (COPY
    # sends them as the table holds them, which updates reorder)
    def last_first(wave_id: int, items: list[str], pages: list[str]) -> Iterator[Columns]:
        batches = list(copy_columns(wave_id, items, pages))
        fixed = {k: np.concatenate([b[0][k] for b in batches])[::-1] for k in batches[0][0]}
        texts = [pa.concat_arrays([b[1][j] for b in batches])[::-1] for j in range(len(items))]
        seconds = [np.concatenate([b[2][p] for b in batches])[::-1] for p in range(len(pages))]
        for start in range(0, len(fixed["ids"]), 5):
            part = slice(start, start + 5)
            yield (
                {k: v[part] for k, v in fixed.items()},
                [t[part] for t in texts],
                [s[part] for s in seconds],
            )

    monkeypatch.setattr(loading, "copy_columns", last_first)

    # when
    through_copy, through_orm = frames()

    # then the frame is the ORM reading's, codes of free answers numbered alike
    assert_same_frame(through_copy, through_orm)


def assert_same_frame(through_copy: WaveFrame, through_orm: WaveFrame) -> None:
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


def test_an_empty_wave_reads_as_no_rows_through_copy():
    # given a wave with no responses at all (pyarrow refuses a CSV of no bytes)
    wave = build_cleaning_wave().wave
    Response.objects.filter(wave=wave).delete()

    assert list(copy_columns(wave.pk, ["t1"], ["trust"])) == []
    through_copy = load_wave_frame(wave, config=CleaningConfig(), now=NOW)
    through_orm = load_wave_frame(wave, config=CleaningConfig(), now=NOW, through_copy=False)

    assert through_copy.size == 0
    assert_same_frame(through_copy, through_orm)
