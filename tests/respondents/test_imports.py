"""import_responses: good rows load, each bad row is rejected with its number and reason,
panel keys link waves without being stored, and a bad header refuses the whole file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from respondents.models import PanelMember, Response, ResponseStatus
from respondents.services import imports
from respondents.services.import_responses import ImportFileError, import_responses
from respondents.services.imports import (
    ERROR_HIDDEN,
    ERROR_SOURCE_ID_IMPORTED,
    ERROR_SOURCE_ID_REPEATED,
    ERROR_UNKNOWN_COLUMNS,
)
from tests.respondents.fieldwork import make_fieldwork_study, make_wave

pytestmark = pytest.mark.django_db

HEADER = [
    "source_id",
    "panel_key",
    "started_at",
    "completed_at",
    "fingerprint",
    "time_about",
    "time_media",
    "age",
    "country",
    "born",
    "sources",
    "hours",
    "tg_detail",
]
GOOD = {
    "source_id": "ext-1",
    "panel_key": "researcher-key-001",
    "started_at": "2026-03-02T09:00:00+00:00",
    "completed_at": "2026-03-02T09:07:30Z",
    "fingerprint": "device-abc",
    "time_about": "200",
    "time_media": "250,5",
    "age": "34",
    "country": "ge",
    "born": "1991-05-04",
    "sources": "tg web",
    "hours": "2,5",
    "tg_detail": "some channels",
}


@pytest.fixture
def waves():
    study, version = make_fieldwork_study()
    return make_wave(study, version, "w1"), make_wave(study, version, "w2")


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in header})
    return path


def row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


def test_a_good_row_is_imported_with_typed_answers_and_paradata(waves, tmp_path):
    wave, _ = waves

    result = import_responses(wave, write_csv(tmp_path / "r.csv", [GOOD]))

    assert (result.imported, result.rejected, result.members_created) == (1, 0, 1)
    response = Response.objects.get()
    assert response.answers == {
        "age": 34,
        "country": "ge",
        "born": "1991-05-04",
        "sources": ["tg", "web"],
        "hours": 2.5,
        "tg_detail": "some channels",
    }
    assert response.status == ResponseStatus.COMPLETED
    assert response.started_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert response.completed_at == datetime(2026, 3, 2, 9, 7, 30, tzinfo=UTC)
    assert response.paradata["pages"] == {
        "about": {"seconds": 200.0, "visits": 1},
        "media": {"seconds": 250.5, "visits": 1},
    }
    assert response.source_id == "ext-1"
    assert len(response.fingerprint) == 64
    assert response.fingerprint != "device-abc"


def test_bad_rows_are_rejected_with_their_number_and_reason_while_good_rows_load(waves, tmp_path):
    # given a file with good rows around bad ones (row 1 is the header)
    wave, _ = waves
    rows = [
        row(source_id="ok-1"),  # row 2
        row(source_id="bad-type", age="abc"),  # row 3
        row(source_id="bad-constraint", age="15"),  # row 4
        row(source_id="bad-choice", country="xx"),  # row 5
        row(source_id="bad-multi", sources="tg fb"),  # row 6
        row(source_id="hidden", sources="web"),  # row 7: tg_detail answered but hidden
        row(source_id="missing-required", age=""),  # row 8
        row(source_id="ok-1", panel_key="other"),  # row 9: repeats row 2
        row(source_id="bad-time", started_at="yesterday"),  # row 10
        row(source_id="bad-seconds", time_about="-3"),  # row 11
        row(source_id="partial", completed_at="", age=""),  # row 12: partial, no required
        row(source_id="", panel_key=""),  # row 13
    ]

    # when
    result = import_responses(wave, write_csv(tmp_path / "r.csv", rows))

    # then
    reasons = {error.row: error.reason for error in result.errors}
    assert (result.imported, result.rejected) == (2, 10)
    assert set(Response.objects.values_list("source_id", flat=True)) == {"ok-1", "partial"}
    assert reasons[3] == "column 'age': 'abc': Enter a whole number."
    assert reasons[4] == "column 'age': '15': Age must be 18 to 110."
    assert reasons[5] == "column 'country': 'xx' is not a choice of list 'countries'"
    assert reasons[6] == "column 'sources': 'fb' is not a choice of list 'media'"
    assert reasons[7] == ERROR_HIDDEN.format(column="tg_detail")
    assert reasons[8] == "column 'age': This question requires an answer."
    assert reasons[9] == ERROR_SOURCE_ID_REPEATED.format(source_id="ok-1", row=2)
    assert reasons[10] == "started_at 'yesterday' is not an ISO 8601 timestamp"
    assert reasons[11] == "column 'time_about': '-3' is not a number of seconds"
    assert reasons[13] == "source_id is empty"
    assert Response.objects.get(source_id="partial").status == ResponseStatus.ABANDONED
    # the rejected row 9 created no member for its panel key
    assert PanelMember.objects.count() == 1


def test_reimporting_the_same_file_rejects_every_row_and_duplicates_nothing(waves, tmp_path):
    wave, _ = waves
    path = write_csv(tmp_path / "r.csv", [row(source_id="a"), row(source_id="b")])
    import_responses(wave, path)

    again = import_responses(wave, path)

    assert (again.imported, again.rejected) == (0, 2)
    assert again.errors[0].reason == ERROR_SOURCE_ID_IMPORTED.format(source_id="a", wave=wave.pk)
    assert Response.objects.count() == 2


def test_panel_key_links_the_waves_and_is_stored_nowhere(waves, tmp_path):
    wave1, wave2 = waves

    import_responses(wave1, write_csv(tmp_path / "w1.csv", [row(source_id="a")]))
    import_responses(wave2, write_csv(tmp_path / "w2.csv", [row(source_id="z")]))

    member = PanelMember.objects.get()
    assert set(member.responses.values_list("wave__name", flat=True)) == {"w1", "w2"}
    assert member.recruited_in == wave1
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM respondents_panelmember")
        assert "researcher-key-001" not in str(cursor.fetchall())


def test_unknown_columns_refuse_the_whole_file_naming_them(waves, tmp_path):
    wave, _ = waves
    path = write_csv(tmp_path / "r.csv", [GOOD], header=[*HEADER, "ip_address", "time_nopage"])

    with pytest.raises(ImportFileError) as error:
        import_responses(wave, path)

    assert str(error.value) == ERROR_UNKNOWN_COLUMNS.format(
        file=path, columns="'ip_address', 'time_nopage'", version=wave.version_id
    )
    assert not Response.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(waves, tmp_path):
    wave, _ = waves
    path = tmp_path / "r.csv"
    path.write_bytes("source_id,age\nжизнь,1\n".encode("cp1251"))

    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_responses(wave, path)


def test_import_responses_command_prints_json(waves, tmp_path):
    wave, _ = waves
    path = write_csv(tmp_path / "r.csv", [GOOD, row(source_id="x", country="zz")])
    out = io.StringIO()

    call_command("import_responses", str(wave.pk), str(path), "--json", stdout=out)

    summary = json.loads(out.getvalue())
    assert (summary["imported"], summary["rejected"]) == (1, 1)
    assert summary["errors"] == [
        {"row": 3, "reason": "column 'country': 'zz' is not a choice of list 'countries'"}
    ]


def test_import_responses_command_fails_in_one_line_on_a_bad_header(waves, tmp_path):
    wave, _ = waves
    path = write_csv(tmp_path / "r.csv", [GOOD], header=["panel_key", "age"])

    with pytest.raises(CommandError, match="no source_id column"):
        call_command("import_responses", str(wave.pk), str(path))


def test_a_batch_that_meets_a_concurrent_import_falls_back_row_by_row(waves, tmp_path, monkeypatch):
    # given a row already in the database that the batch's pre-check does not see (as if
    # another import had written it a moment later)
    wave, _ = waves
    import_responses(wave, write_csv(tmp_path / "first.csv", [row(source_id="a")]))
    monkeypatch.setattr(imports, "already_imported", lambda wave, source_ids: set())

    # when
    result = import_responses(
        wave,
        write_csv(
            tmp_path / "second.csv", [row(source_id="a"), row(source_id="b", panel_key="k2")]
        ),
    )

    # then the clashing row is rejected, the other loads with its new member
    assert (result.imported, result.rejected) == (1, 1)
    assert result.errors[0].row == 2
    assert set(Response.objects.values_list("source_id", flat=True)) == {"a", "b"}
    assert PanelMember.objects.count() == 2


def test_fingerprints_are_dropped_once_the_wave_key_is_destroyed(waves, tmp_path):
    wave, _ = waves
    wave.fingerprint_key = ""
    wave.save(update_fields=["fingerprint_key"])

    result = import_responses(wave, write_csv(tmp_path / "r.csv", [GOOD]))

    assert result.imported == 1
    assert Response.objects.get().fingerprint == ""
    assert result.notes == ("fingerprints dropped: the wave's fingerprint key has been destroyed",)


def test_a_short_row_missing_its_source_id_cell_is_rejected_not_a_crash(waves, tmp_path):
    # given source_id in the last column, and a row cut short before it
    wave, _other = waves
    header = [*HEADER[1:], "source_id"]
    path = write_csv(tmp_path / "short.csv", [row()], header=header)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("researcher-key-002,2026-03-02T09:00:00+00:00\n")

    # when
    result = import_responses(wave, path)

    # then the short row is rejected with its number, and the good row still loads
    assert (result.imported, result.rejected) == (1, 1)
    assert [(error.row, error.reason) for error in result.errors] == [
        (3, imports.ERROR_FIELD_COUNT.format(got=2, expected=len(header)))
    ]
    assert list(Response.objects.values_list("source_id", flat=True)) == ["ext-1"]
