"""On PostgreSQL in autocommit an export reads each next batch's answers in a second thread
(exports/read_ahead.py): the same dataset as reading them in turn, and no connection left."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import pytest
from django.db import connection, transaction

from exports import assembly, read_ahead
from exports.assembly import build_dataset
from exports.dataset import ExportSpec
from tests.exports.fixtures import build_three_wave_panel

# Committed rows: the reading thread has a connection of its own.
pytestmark = pytest.mark.django_db(transaction=True)


def _frame(panel, layout: Literal["long", "wide"]) -> pd.DataFrame:
    spec = ExportSpec(
        study_id=panel.study.pk,
        wave_ids=panel.wave_ids,
        sample="combined",
        layout=layout,
        k=2,
        pseudonym_key=b"k" * 32,
    )
    frame = pd.concat(list(build_dataset(spec).chunks()), ignore_index=True)
    by = ["pid", "wave"] if layout == "long" else ["pid"]
    return frame.sort_values(by).reset_index(drop=True)


def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        (count,) = cursor.fetchone()
    return int(count)


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_answers_read_ahead_give_the_dataset_read_in_turn(monkeypatch, layout):
    # given a panel exported in batches of five responses, and a count of the batches read
    # by the second thread
    panel = build_three_wave_panel()
    monkeypatch.setattr(assembly, "BATCH_RESPONSES", 5)
    read_in_thread = []
    flattened = read_ahead._flattened_in_thread

    def counted(*args):
        read_in_thread.append(1)
        return flattened(*args)

    monkeypatch.setattr(read_ahead, "_flattened_in_thread", counted)
    with transaction.atomic():
        in_turn = _frame(panel, layout)
    assert read_in_thread == []
    backends = _backends()

    # when
    ahead = _frame(panel, layout)

    # then the same rows and values, every batch read by the thread, its connection closed
    pd.testing.assert_frame_equal(ahead, in_turn)
    assert len(read_in_thread) >= 4
    assert _backends() == backends
