"""Roster (XLSForm repeat) answers in import_responses: one column per item and entry, named
as the wide export names them (`m_age_1`, `m_age_2`), each entry checked as the roster page
checks it; both readings (PostgreSQL's COPY path and the row-by-row one) agree; and the
wide export's roster file reads back."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.db import connection

from respondents.models import Response, Wave
from respondents.services import import_answers, imports
from respondents.services.import_responses import ImportFileError, ImportResult, import_responses
from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.builders import make_study
from tests.exports.test_roster_exports import _export
from tests.exports.test_roster_exports import _wave as exported_wave
from tests.surveys.roster_forms import ROSTER_SURVEY, roster_form

pytestmark = pytest.mark.django_db

START, END = "2026-01-01T10:00:00+00:00", "2026-01-01T10:09:00+00:00"
HEADER = [
    "source_id", "started_at", "completed_at", "city", "right",
    "m_name_1", "m_age_1", "m_rel_1", "m_school_1",
    "m_name_2", "m_age_2", "m_rel_2", "m_school_2",
    "m_name_3", "m_age_3", "m_rel_3", "m_school_3",
    "m_name_5", "m_age_5", "m_rel_5", "m_school_5",
]  # fmt: skip


# The form without count()/sum() of the roster: no other page reads the entries, so the
# COPY path reads the other pages column by column and only the entries row by row.
UNREAD_SURVEY = [row for row in ROSTER_SURVEY if row[1] not in ("n_members", "n_adults", "summary")]


def _wave(tmp_path: Path, slug: str = "roster", survey: list[list[str]] | None = None) -> Wave:
    study = make_study(slug, languages=("en",))
    result = import_questionnaire(roster_form(tmp_path / f"{slug}.xlsx", survey), study=study)
    return open_wave(study, publish_version(result.version.pk), "w1")


def _row(source_id: str, *entries: tuple[str, ...], completed: bool = True) -> list[str]:
    """A row of HEADER: entries 1-3 and 5, each (name, age, relation, school)."""
    cells = [source_id, START, END if completed else "", "Tbilisi", "yes" if completed else ""]
    padded = [*entries, *[("", "", "", "")] * (4 - len(entries))]
    return cells + [cell for entry in padded for cell in entry]


ROWS = [
    _row("good", ("Nino", "41", "partner", ""), ("Luka", "9", "child", "School 5")),
    # entry 2 left empty between two filled ones: kept, as an empty entry (partial row)
    _row("gap", ("Nino", "41", "partner", ""), ("", "", "", ""), ("Gia", "70", "parent", ""),
         completed=False),
    _row("none-partial", completed=False),
    _row("none-completed"),
    _row("too-many", ("A", "30", "partner", ""), ("", "", "", ""), ("", "", "", ""),
         ("E", "5", "child", "")),
    _row("bad-age", ("A", "thirty", "partner", "")),
    _row("old", ("A", "130", "partner", "")),
    _row("bad-choice", ("A", "30", "cousin", "")),
    _row("hidden-school", ("A", "30", "partner", "Uni")),
    _row("missing-name", ("A", "30", "partner", ""), ("", "8", "child", "")),
]  # fmt: skip
EXPECTED_REFUSALS = [
    (5, "roster 'members': 0 entries filled, at least 1 needed"),
    (6, "roster 'members': entry 5 is filled, but the roster has at most 4"),
    (7, "column 'm_age_1': 'thirty': "),
    (8, "column 'm_age_1': '130': "),
    (9, "column 'm_rel_1': 'cousin' is not a choice of list 'relation'"),
    (10, "column 'm_school_1': answered, but relevant hides it given this row's answers"),
    (11, "column 'm_name_2': "),
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _row_by_row(wave: Wave, path: Path, monkeypatch: pytest.MonkeyPatch) -> ImportResult:
    with monkeypatch.context() as patch:
        patch.setattr(connection, "vendor", "reference")
        return import_responses(wave, path)


def _entries(wave: Wave) -> dict[str | None, Any]:
    return {
        r.source_id: r.answers.get("members", "absent")
        for r in Response.objects.filter(wave=wave).order_by("source_id")
    }


@pytest.mark.parametrize(
    ("_case", "survey", "reads_rosters"),
    [("count() reads the roster", None, True), ("nothing reads it", UNREAD_SURVEY, False)],
)
def test_roster_columns_import_each_entry_as_the_roster_page_checks_it(
    tmp_path, monkeypatch, _case, survey, reads_rosters
):
    # given
    assert connection.vendor == "postgresql"
    path = _write(tmp_path / "r.csv", HEADER, ROWS)
    copy_wave = _wave(tmp_path, "copy", survey)
    reference = _wave(tmp_path, "reference", survey)
    layout = imports.read_header(copy_wave, HEADER, "r.csv")
    assert import_answers.Planner(layout).reads_rosters is reads_rosters

    # when: the COPY path and the row-by-row path read the same file
    got = import_responses(copy_wave, path)
    expected = _row_by_row(reference, path, monkeypatch)

    # then: the same rows refused for the same reasons, the same entries stored
    reasons = [(e.row, e.reason) for e in got.errors]
    assert reasons == [(e.row, e.reason) for e in expected.errors]
    assert [row for row, _ in reasons] == [row for row, _ in EXPECTED_REFUSALS]
    for (_row_number, reason), (_n, start) in zip(reasons, EXPECTED_REFUSALS, strict=True):
        assert reason.startswith(start), reason
    assert (got.imported, got.rejected) == (3, 7)
    assert _entries(copy_wave) == _entries(reference)
    assert _entries(copy_wave) == {
        "good": [
            {"m_name": "Nino", "m_age": 41, "m_rel": "partner", "m_adult": 1, "m_pos": 1},
            {
                "m_name": "Luka",
                "m_age": 9,
                "m_rel": "child",
                "m_school": "School 5",
                "m_adult": 0,
                "m_pos": 2,
            },
        ],
        "gap": [
            {"m_name": "Nino", "m_age": 41, "m_rel": "partner", "m_adult": 1, "m_pos": 1},
            {"m_adult": 0, "m_pos": 2},
            {"m_name": "Gia", "m_age": 70, "m_rel": "parent", "m_adult": 1, "m_pos": 3},
        ],
        # a partial row that never filled the roster has none, as a respondent who stopped
        "none-partial": "absent",
    }


def test_a_row_refused_for_its_roster_leaves_nothing_behind(tmp_path):
    wave = _wave(tmp_path)
    path = _write(tmp_path / "r.csv", HEADER, [ROWS[4], ROWS[8]])
    result = import_responses(wave, path)
    assert (result.imported, result.rejected) == (0, 2)
    assert not Response.objects.filter(wave=wave).exists()


def test_a_roster_item_without_an_entry_number_refuses_the_file(tmp_path):
    wave = _wave(tmp_path)
    path = _write(tmp_path / "r.csv", ["source_id", "started_at", "m_age"], [["a", START, "4"]])
    with pytest.raises(ImportFileError, match=r"'m_age' are items of a roster .* m_age_1"):
        import_responses(wave, path)


def test_the_wide_exports_roster_file_reads_back(tmp_path):
    # given: households exported in the wide layout (the roster's own file, numbered columns)
    source = exported_wave(tmp_path)
    _main, roster_file, *_codebooks = _export(source, tmp_path / "csv", "csv", layout="wide")
    exported = pd.read_csv(roster_file, dtype=str, keep_default_na=False)
    assert {"m_age_1", "m_pos_status_1"} <= set(exported.columns)

    # when: the researcher adds an id and a start time to it and imports it
    frame = exported.drop(columns=["pid", "wave"])
    frame.insert(0, "started_at", START)
    frame.insert(0, "source_id", exported["pid"])
    path = tmp_path / "back.csv"
    frame.to_csv(path, index=False)
    wave = _wave(tmp_path, "again")
    result = import_responses(wave, path)

    # then: every household comes back with its entries (names are identifiers, never
    # exported, so the rows are partial: nothing required is enforced)
    assert (result.imported, result.rejected) == (len(exported), 0), result.errors
    stored = {r.source_id: r.answers["members"] for r in Response.objects.filter(wave=wave)}
    original = sorted(
        tuple((m["m_age"], m["m_rel"], m["m_pos"]) for m in r.answers["members"])
        for r in Response.objects.filter(wave=source)
    )
    assert (
        sorted(tuple((m["m_age"], m["m_rel"], m["m_pos"]) for m in e) for e in stored.values())
        == original
    )


def test_an_entrys_other_specify_text_and_the_exports_status_columns_read_back(tmp_path):
    # given: the relation is `select_one relation or_other`; the export's status columns
    # (`<item>_status_<n>`) sit beside the answers
    survey = [
        [*row[:0], "select_one relation or_other", *row[1:]] if row[1] == "m_rel" else row
        for row in UNREAD_SURVEY
    ]
    wave = _wave(tmp_path, "other", survey)
    header = [
        "source_id", "started_at", "city", "m_age_1", "m_rel_1", "m_rel_other_1",
        "m_rel_status_1", "m_rel_other_status_1", "m_age_2", "m_rel_2", "m_rel_other_2",
    ]  # fmt: skip
    rows = [
        ["ok", START, "Tbilisi", "40", "other", "Cousin", "0", "0", "", "", ""],
        ["stray", START, "Tbilisi", "40", "partner", "", "0", "", "8", "child", "Nephew"],
    ]

    # when
    result = import_responses(wave, _write(tmp_path / "o.csv", header, rows))

    # then: the text is kept with its entry; beside another choice it is dropped, as the
    # roster page drops it
    assert (result.imported, result.rejected) == (2, 0), result.errors
    entry = Response.objects.get(wave=wave, source_id="ok").answers["members"][0]
    assert (entry["m_rel"], entry["m_rel_other"]) == ("other", "Cousin")
    entries = Response.objects.get(wave=wave, source_id="stray").answers["members"]
    assert [e["m_rel"] for e in entries] == ["partner", "child"]
    assert not any("m_rel_other" in e for e in entries)
