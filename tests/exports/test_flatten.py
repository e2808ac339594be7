"""The answers flattened by PostgreSQL's COPY (exports/flatten.py) are the answers stored:
the same values as reading the documents through the ORM (the SQLite path), row for row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db.models import F

from config.anyof import AnyOf
from exports import flatten
from respondents.freetext import release
from respondents.freetext import services as freetext
from respondents.freetext.models import ScrubbedAnswer
from respondents.models import Response, ResponseStatus, Wave, WaveState
from tests.builders import build_version, make_study

pytestmark = pytest.mark.django_db

START = datetime(2025, 1, 1, tzinfo=UTC)
ANSWERS = [
    {"q": "a", "n": 5, "m": ["x", "y"], "t": 'says "hi", then\nleaves'},
    {"q": "b", "n": 2.5, "m": [], "t": ""},
    {"q": "a", "n": None, "t": "Всё, хорошо"},
    {},
    {"q": "a", "n": 5, "m": "x y", "t": "=1+1"},
]


def _wave() -> Wave:
    study = make_study("flat")
    pages = [{"name": "p", "questions": [{"name": "q", "type": "text"}]}]
    version = build_version(study, pages)
    return Wave.objects.create(
        study=study, version=version, name="w1", slug="flat-w1", state=WaveState.CLOSED
    )


def _responses() -> list[int]:
    wave = _wave()
    ids = []
    for i, answers in enumerate(ANSWERS):
        completed = START + timedelta(seconds=100 + i, microseconds=250) if i != 3 else None
        response = Response.objects.create(
            wave=wave,
            status=ResponseStatus.COMPLETED if completed else ResponseStatus.ABANDONED,
            answers=answers,
            started_at=START,
            completed_at=completed,
            source_id=f"s{i}",
        )
        ids.append(response.pk)
    return ids


def test_copy_gives_the_stored_answers_as_the_orm_reads_them():
    ids = _responses()
    asked = [ids[4], ids[0], ids[3], ids[2], ids[1]]
    keys, typed = ["m", "missing", "n", "q", "t"], {"m"}

    copied = flatten._copied(asked, keys, typed, ()).rows(asked)
    read = flatten._through_orm(asked, keys, typed).rows(asked)

    assert copied.ids.tolist() == read.ids.tolist() == asked
    assert copied.status.tolist() == read.status.tolist()
    # Seconds to completion to the microsecond; NaN for the response not completed.
    completed = ~np.isnan(copied.duration)
    assert completed.tolist() == [True, True, False, True, True]
    assert copied.duration[completed].tolist() == [104.00025, 100.00025, 102.00025, 101.00025]
    assert read.duration[completed].tolist() == copied.duration[completed].tolist()
    for key in keys:
        assert copied.answers[key].objects().tolist() == read.answers[key].objects().tolist()
    # Typed keys keep their JSON type; the others are text, as `->>` gives them; an empty
    # answer stays apart from an absent one.
    assert copied.answers["m"].objects().tolist() == ["x y", ["x", "y"], None, None, []]
    assert copied.answers["n"].objects().tolist() == ["5", "5", None, None, "2.5"]
    assert copied.answers["t"].objects().tolist() == [
        "=1+1",
        'says "hi", then\nleaves',
        None,
        "Всё, хорошо",
        "",
    ]
    assert copied.answers["missing"].objects().tolist() == [None] * 5
    # Each distinct answer is decoded once.
    assert len(copied.answers["q"].values) == 2


def test_copy_reads_the_stored_scrubs_as_the_release_reads_them():
    """The scrubs read beside the COPY are those `released_texts` reads on its own: same text
    (quotes, commas, line breaks, an empty scrub), counts, version and digest, one entry per
    response that has a scrub of the key and none for the others."""
    ids = _responses()
    now = datetime(2025, 2, 1, tzinfo=UTC)
    stored = {
        ids[0]: ('says "[NAME]", then\nleaves', {"name": 1}, 'says "hi", then\nleaves'),
        ids[1]: ("", {}, ""),
        ids[2]: ("Всё, хорошо", {}, "Всё, хорошо"),
    }
    for pk, (text, found, answer) in stored.items():
        ScrubbedAnswer.objects.create(
            response_id=pk,
            key="t",
            text=text,
            found=found,
            spans=[],
            version=3,
            digest=freetext.digest(answer),
            scrubbed_at=now,
        )
    # A scrub of another key is not read as this one's.
    ScrubbedAnswer.objects.create(
        response_id=ids[4], key="q", text="x", version=3, digest="d", scrubbed_at=now
    )

    copied = flatten._copied(ids, ["t"], set(), ["t", "none"]).rows(ids[::-1])

    # then each row (here in reverse order) carries its own response's scrub of the key
    column = copied.scrubs["t"]
    by_id = freetext.stored_scrubs(ids, "t")
    for row, pk in enumerate(ids[::-1]):
        if pk in by_id:
            text, found, version, hashed = by_id[pk]
            assert (column.text[row], column.version[row], column.digest[row]) == (
                text,
                version,
                hashed,
            )
            assert column.found[column.found_code[row]] == found
        else:
            assert column.text[row] is None
            assert column.version[row] == release.NO_VERSION
    assert column.text.tolist()[::-1][:3] == ['says "[NAME]", then\nleaves', "", "Всё, хорошо"]
    assert column.found[column.found_code[-1]] == {"name": 1}
    assert copied.scrubs["none"].version.tolist() == [release.NO_VERSION] * len(ids)


def test_any_of_filters_by_one_array_of_ids():
    ids = _responses()

    chosen = Response.objects.filter(AnyOf(F("pk"), ids[1:4])).values_list("pk", flat=True)

    assert sorted(chosen) == ids[1:4]
    assert not Response.objects.filter(AnyOf(F("pk"), [])).exists()
