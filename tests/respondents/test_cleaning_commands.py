"""The clean_wave and override_flag commands, as researchers script them."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from respondents.models import FlagOverride, QualityFlag, Response
from tests.respondents.cleaning_wave import build_cleaning_wave

pytestmark = pytest.mark.django_db


def test_clean_wave_writes_one_report_row_per_flag_and_prints_json(tmp_path):
    planted = build_cleaning_wave()
    report = tmp_path / "flags.csv"
    out = StringIO()

    call_command("clean_wave", str(planted.wave.pk), "--report", str(report), "--json", stdout=out)

    summary = json.loads(out.getvalue())
    with report.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["source_id", "rule", "score", "detail"]
    assert len(rows) == QualityFlag.objects.count() == sum(summary["flags"].values())
    assert summary["wave"] == planted.wave.pk
    assert summary["responses"] == 48
    copy_row = next(r for r in rows if r["rule"] == "duplicate:exact")
    assert copy_row["source_id"] == "ext-47"
    assert copy_row["score"] == "1"
    assert {r["rule"].split(":")[0] for r in rows} <= {
        "speeder",
        "straightliner",
        "duplicate",
        "attention",
        "incomplete",
        "bot",
    }


def test_clean_wave_report_uses_the_id_when_a_response_has_no_source_id(tmp_path):
    planted = build_cleaning_wave()
    Response.objects.filter(pk=planted.ids["bot"]).update(source_id=None)
    report = tmp_path / "flags.csv"

    call_command("clean_wave", str(planted.wave.pk), "--report", str(report), stdout=StringIO())

    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert {"source_id": str(planted.ids["bot"]), "rule": "bot:honeypot"}.items() <= next(
        r for r in rows if r["rule"] == "bot:honeypot"
    ).items()


def test_clean_wave_refuses_a_missing_wave_or_report_directory(tmp_path):
    with pytest.raises(CommandError, match="wave 424242: no such wave"):
        call_command("clean_wave", "424242")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("clean_wave", "1", "--report", str(tmp_path / "no" / "r.csv"))


def test_override_flag_command_records_the_decision():
    planted = build_cleaning_wave()
    call_command("clean_wave", str(planted.wave.pk), stdout=StringIO())
    out = StringIO()

    call_command(
        "override_flag",
        str(planted.ids["bot"]),
        "bot:honeypot",
        "--reason",
        "autofill",
        "--json",
        stdout=out,
    )

    assert json.loads(out.getvalue())["rule"] == "bot:honeypot"
    assert FlagOverride.objects.get().reason == "autofill"
    assert not QualityFlag.objects.filter(
        response_id=planted.ids["bot"], rule="bot:honeypot"
    ).exists()


def test_override_flag_command_names_an_unknown_user():
    planted = build_cleaning_wave()

    with pytest.raises(CommandError, match="user 'nobody': no such user"):
        call_command(
            "override_flag", str(planted.ids["bot"]), "bot", "--reason", "x", "--user", "nobody"
        )


def test_clean_wave_refuses_a_report_path_that_is_a_directory_before_running(tmp_path):
    planted = build_cleaning_wave()
    runs_before = planted.wave.cleaning_runs.count()

    with pytest.raises(CommandError) as refused:
        call_command("clean_wave", str(planted.wave.pk), "--report", str(tmp_path))

    assert str(refused.value) == f"{tmp_path}: is a directory, not a file"
    assert planted.wave.cleaning_runs.count() == runs_before
