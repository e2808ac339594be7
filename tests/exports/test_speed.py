"""The speed index's page times: what the database holds, made numbers."""

from __future__ import annotations

import numpy as np
import pytest

from exports import speed
from exports.sampling import WaveInfo
from respondents.models import Response, ResponseStatus
from tests.exports.fixtures import build_three_wave_panel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("chunk", [speed.TIMES_CHUNK, 3])
def test_page_times_are_numbers_where_the_stored_time_is_one(chunk, monkeypatch):
    # given a wave whose page times include text, a number, a blank, junk, no page at all,
    # and responses in a blank or no language, one of them still in progress, read in
    # one chunk or in chunks of 3 rows
    monkeypatch.setattr(speed, "TIMES_CHUNK", chunk)
    panel = build_three_wave_panel()
    wave = panel.waves[0]
    odd = [{"seconds": "41.5"}, {"seconds": 12}, {"seconds": ""}, {"seconds": "abc"}, None]
    template = Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETED).first()
    assert template is not None
    for n, page in enumerate(odd):
        template.pk = None
        template.source_id = f"odd-{n}"
        template.language = "" if n % 2 else "en"
        template.paradata = {"pages": {"about": page}} if page else {"pages": {}}
        template.status = ResponseStatus.IN_PROGRESS if n == 4 else ResponseStatus.COMPLETED
        template.save()

    ids, languages, matrix = speed._page_times(wave.pk, ["about", "absent"])

    # then the completed responses come in id order with their times, NaN where none
    completed = Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETED)
    assert list(ids) == sorted(completed.values_list("pk", flat=True))
    assert len(languages) == matrix.shape[0] == len(ids) > 3
    times = dict(zip(ids.tolist(), matrix[:, 0].tolist(), strict=True))
    odd_ids = list(
        Response.objects.filter(source_id__startswith="odd-")
        .order_by("source_id")
        .values_list("pk", flat=True)
    )
    assert times[odd_ids[0]] == 41.5
    assert times[odd_ids[1]] == 12.0
    assert np.isnan(times[odd_ids[2]])
    assert np.isnan(times[odd_ids[3]])
    assert odd_ids[4] not in times
    assert None in languages.tolist()
    assert "" not in languages.tolist()
    assert np.isnan(matrix[:, 1]).all()


def test_a_wave_without_responses_has_no_speed_index():
    panel = build_three_wave_panel()
    wave = panel.waves[0]
    Response.objects.filter(wave=wave).delete()

    ids, rsi = speed._wave_speed_index(
        WaveInfo(id=wave.pk, name=wave.name, number=1, version_id=wave.version_id)
    )

    assert ids.size == rsi.size == 0
