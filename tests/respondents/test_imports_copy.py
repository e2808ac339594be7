"""import_responses on PostgreSQL reads column by column and loads through COPY; the
row-by-row reading is the reference. The same file, with every kind of problem mixed among
good rows, must give the same refusals (row and message) and store the same responses."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from respondents.models import MemberStatus, PanelMember, Response, Wave
from respondents.services import import_answers, import_copy, imports
from respondents.services.form_schema import load_form
from respondents.services.import_responses import ImportResult, import_responses
from respondents.services.panel_signup import new_pseudonym
from respondents.services.waves import open_wave
from surveys.services.questionnaires import publish_version
from tests.builders import build_version, make_study

pytestmark = pytest.mark.django_db

# Drivers (read by expressions or "other, specify"): age, country, country_other, sources.
# Items no expression reads: born, hours, tg_detail, years, note.
PAGES: list[dict[str, Any]] = [
    {
        "name": "about",
        "questions": [
            {
                "name": "age",
                "type": "integer",
                "required": True,
                "constraint": ". >= 18 and . <= 110",
                "constraint_message": {"en": "Age must be 18 to 110."},
            },
            {
                "name": "country",
                "type": "select_one",
                "choices": "countries",
                "required": True,
                "other_choice": "other",
            },
            {"name": "born", "type": "date"},
            {"name": "adult", "type": "calculate", "calculation": "${age} >= 30"},
        ],
    },
    {
        "name": "media",
        "questions": [
            {"name": "sources", "type": "select_multiple", "choices": "media"},
            {"name": "hours", "type": "decimal", "constraint": ". <= 24"},
            {"name": "tg_detail", "type": "text", "relevant": "selected(${sources}, 'tg')"},
        ],
    },
    {
        "name": "abroad",
        "relevant": "${country} != 'ge'",
        "questions": [
            # Years abroad cannot exceed the age: a constraint that reads another answer.
            {"name": "years", "type": "integer", "required": True, "constraint": ". <= ${age}"},
            {"name": "note", "type": "text", "relevant": "${adult}"},
        ],
    },
]
# The same form without calculations: the per-expression reading (import_answers.is_plain).
PLAIN_PAGES: list[dict[str, Any]] = [
    {
        **page,
        "questions": [
            {**q, "relevant": "${age} >= 30"} if q["name"] == "note" else q
            for q in page["questions"]
            if q["type"] != "calculate"
        ],
    }
    for page in PAGES
]
CHOICES = {
    "countries": [(c, {"en": c.upper(), "ru": c}) for c in ("ge", "am", "kz", "other")],
    "media": [(m, {"en": m, "ru": m}) for m in ("tg", "yt", "web")],
}
HEADER = [
    "source_id",
    "panel_key",
    "started_at",
    "completed_at",
    "fingerprint",
    "channel",
    "language",
    "time_about",
    "time_media",
    "age",
    "country",
    "country_other",
    "born",
    "sources",
    "hours",
    "tg_detail",
    "years",
    "note",
]
# Each column's good values first, then values that refuse a row (or, for drivers, change
# what other cells mean).
CELLS: dict[str, tuple[list[str], list[str]]] = {
    "panel_key": (["", "k1", "k2", "k3", "k4"], ["k-gone"]),
    "started_at": (
        ["2026-03-02T09:00:00+00:00", "2026-03-02 10:00", "2026-03-03T08:00:00Z"],
        ["", "soon"],
    ),
    "completed_at": (
        ["2026-03-05T11:00:00+03:00", "", "2026-03-04T09:00:00"],
        ["later", "2026-01-01"],
    ),
    "fingerprint": (["", "dev-a", "dev-b"], []),
    "channel": ([""], ["no-such-channel"]),
    "language": (["", "en", "ru"], ["fr"]),
    "time_about": (["", "12", "3,5", " 40 "], ["-1", "x"]),
    "time_media": (["", "7"], ["inf"]),
    "age": (["18", "25", "34", " 60 ", "110"], ["", "17", "abc", "3.5"]),
    "country": (["ge", "am", "kz", "other"], ["", "xx", "ge am"]),
    "country_other": (["", "Serbia"], []),
    "born": (["", "1990-01-02", "02.03.1985"], ["1990-13-01"]),
    "sources": (["", "tg", "web yt", "tg web"], ["fb", "tg fb"]),
    "hours": (["", "2", "2,5", "24"], ["25", "many"]),
    "tg_detail": (["", "some channels", "\x00"], []),
    "years": (["", "1", "5", "30"], ["200", "-"]),
    "note": (["", "a note"], []),
}


def _version(study: Any, plain: bool) -> Any:
    # The builder passes no calculation; set it on the draft, then publish.
    version = build_version(study, PLAIN_PAGES if plain else PAGES, choices=CHOICES, publish=False)
    version.questions.filter(name="adult").update(calculation="${age} >= 30")
    return publish_version(version.pk)


def _wave(slug: str, *, plain: bool = True) -> Wave:
    study = make_study(slug, languages=("en", "ru"))
    wave = open_wave(study, _version(study, plain), "w1")
    PanelMember.objects.create(
        study=study,
        pseudonym=new_pseudonym(),
        panel_key_hash=imports.panel_key_hash(wave, "k-gone"),
        status=MemberStatus.WITHDRAWN,
    )
    return wave


def _rows(count: int, seed: int) -> list[list[str]]:
    chance = random.Random(seed)
    rows: list[list[str]] = []
    for number in range(count):
        source_id = f"r{number}" if chance.random() > 0.03 else chance.choice(["", "r1", "r2"])
        row = [source_id]
        for column in HEADER[1:]:
            good, bad = CELLS[column]
            row.append(
                chance.choice(bad) if bad and chance.random() < 0.04 else chance.choice(good)
            )
        if chance.random() < 0.9:
            _make_coherent(dict(zip(HEADER, row, strict=True)), row)
        rows.append(row)
    rows.append(["short", "k1"])  # the wrong number of fields
    rows.append([""] * len(HEADER))  # a blank line, skipped
    return rows


def _make_coherent(cells: dict[str, str], row: list[str]) -> None:
    """Mostly, the skip logic is followed: answers only where the form asks."""

    def put(column: str, value: str) -> None:
        row[HEADER.index(column)] = value

    if "tg" not in cells["sources"].split():
        put("tg_detail", "")
    if cells["country"] == "ge":
        put("years", "")
        put("note", "")
    elif not cells["years"]:
        put("years", "3")
    if cells["age"].strip().isdigit() and int(cells["age"]) < 30:
        put("note", "")


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _stored(wave: Wave) -> dict[str, tuple[Any, ...]]:
    groups: dict[int | None, list[str]] = {}
    responses = Response.objects.filter(wave=wave).order_by("source_id")
    for response in responses:
        groups.setdefault(response.member_id, []).append(str(response.source_id))
    return {
        str(r.source_id): (
            r.answers,
            r.paradata,
            r.status,
            r.current_page,
            r.channel,
            r.language,
            r.started_at,
            r.completed_at,
            bool(r.fingerprint),
            None if r.member_id is None else groups[r.member_id],
        )
        for r in responses
    }


def _layout(wave: Wave) -> imports.Layout:
    schema = load_form(wave.version)
    return imports.Layout(header=tuple(HEADER), schema=schema, page_times={})


def _reasons(result: ImportResult, wave: Wave) -> list[tuple[int, str]]:
    # "already imported into wave N" names each wave's own number
    return [(e.row, e.reason.replace(f"wave {wave.pk}", "wave W")) for e in result.errors]


def _row_by_row(wave: Wave, path: Path, monkeypatch: pytest.MonkeyPatch) -> ImportResult:
    with monkeypatch.context() as patch:
        patch.setattr(connection, "vendor", "reference")
        return import_responses(wave, path)


@pytest.mark.parametrize(("seed", "plain"), [(1, True), (2, True), (3, False)])
def test_the_columnwise_import_refuses_and_stores_exactly_as_the_row_by_row_one(
    tmp_path, monkeypatch, seed, plain
):
    # given one file with good rows and every kind of problem, and two like waves
    path = _write(tmp_path / "r.csv", _rows(1500, seed))
    fast, reference = _wave(f"fast{seed}", plain=plain), _wave(f"ref{seed}", plain=plain)
    assert import_answers.Planner(_layout(fast)).plain is plain
    # small chunks, so rows repeat source_ids and panel keys across chunks (each chunk
    # checked while the one before it loads); the same size both ways
    monkeypatch.setattr(import_copy, "CHUNK_ROWS", 400)
    monkeypatch.setattr(imports, "BATCH_SIZE", 400)

    # when
    got = import_responses(fast, path)
    expected = _row_by_row(reference, path, monkeypatch)

    # then the same rows are refused with the same reasons, the same are stored
    assert _reasons(got, fast) == _reasons(expected, reference)
    assert (got.imported, got.rejected, got.members_created) == (
        expected.imported,
        expected.rejected,
        expected.members_created,
    )
    assert got.imported > 450
    assert got.rejected > 200
    assert _stored(fast) == _stored(reference)
    # and importing the file again refuses every row, as already imported
    again = import_responses(fast, path)
    assert again.imported == 0
    assert Response.objects.filter(wave=fast).count() == got.imported


def test_rows_stored_meanwhile_by_another_import_are_refused_and_leave_no_member(
    tmp_path, monkeypatch
):
    # given a row stored after the chunk's check for earlier imports
    wave = _wave("race")
    first = _rows(1, 3)[0]
    first[1] = "k1"
    import_responses(wave, _write(tmp_path / "first.csv", [first]))
    monkeypatch.setattr(imports, "already_imported", lambda wave, source_ids: set())
    second = list(first)
    second[1] = "k-new"
    other = list(first)
    other[0], other[1] = "another", "k-other"

    # when the same source_id comes again with a new panel key
    result = import_responses(wave, _write(tmp_path / "second.csv", [second, other]))

    # then it is refused as already imported, and its new member was not kept
    assert [(e.row, e.reason) for e in result.errors] == [
        (2, imports.ERROR_SOURCE_ID_IMPORTED.format(source_id=first[0], wave=wave.pk))
    ]
    assert (result.imported, result.members_created) == (1, 1)
    hashes = set(
        PanelMember.objects.filter(study=wave.study).values_list("panel_key_hash", flat=True)
    )
    assert imports.panel_key_hash(wave, "k-new") not in hashes
    assert imports.panel_key_hash(wave, "k-other") in hashes


def test_a_repeat_in_a_later_chunk_names_its_first_row_whether_or_not_that_row_has_loaded(
    tmp_path, monkeypatch
):
    # given a file whose source_ids come back one and two chunks later
    wave = _wave("repeats")
    rows = [_coherent_row(f"r{n}") for n in range(6)] + [_coherent_row("r0"), _coherent_row("r2")]
    monkeypatch.setattr(import_copy, "CHUNK_ROWS", 2)

    # when
    result = import_responses(wave, _write(tmp_path / "r.csv", rows))

    # then each repeat is refused as a repeat of its row in this file
    assert [(e.row, e.reason) for e in result.errors] == [
        (8, imports.ERROR_SOURCE_ID_REPEATED.format(source_id="r0", row=2)),
        (9, imports.ERROR_SOURCE_ID_REPEATED.format(source_id="r2", row=4)),
    ]
    assert result.imported == 6


def test_reasons_are_in_english_whatever_the_site_language(tmp_path, monkeypatch, settings):
    # given a site whose default language is Russian, and a bad answer in a later chunk
    settings.LANGUAGE_CODE = "ru"
    wave = _wave("english")
    bad = _coherent_row("bad")
    bad[HEADER.index("age")] = "abc"
    monkeypatch.setattr(import_copy, "CHUNK_ROWS", 1)

    # when
    result = import_responses(wave, _write(tmp_path / "r.csv", [_coherent_row("ok"), bad]))

    # then the reason, worded in the checking thread, is the English one
    assert [(e.row, e.reason) for e in result.errors] == [
        (3, "column 'age': 'abc': Enter a whole number.")
    ]


def test_the_checking_thread_refuses_to_query_the_database(tmp_path, monkeypatch):
    # given a check that asks the database something (its own connection would not see
    # the import's transaction)
    wave = _wave("no-queries")
    language_of = imports.language_of

    def querying(schema: Any, text: str, reasons: list[str]) -> str:
        Wave.objects.count()
        return language_of(schema, text, reasons)

    monkeypatch.setattr(imports, "language_of", querying)

    # when / then the import stops with the reason, and nothing is stored
    with pytest.raises(RuntimeError, match="must not query the database"):
        import_responses(wave, _write(tmp_path / "r.csv", [_coherent_row("a")]))
    assert not Response.objects.filter(wave=wave).exists()


def _coherent_row(source_id: str) -> list[str]:
    cells = {
        "source_id": source_id,
        "started_at": "2026-03-02T09:00:00+00:00",
        "completed_at": "2026-03-02T10:00:00+00:00",
        "age": "40",
        "country": "ge",
    }
    return [cells.get(column, "") for column in HEADER]
