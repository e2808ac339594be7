from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from exports.models import ExportJob
from tests.exports.exporting import use_media
from tests.exports.fixtures import EXPECTED_ROWS, PLANTED, build_three_wave_panel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


def _export(*args: str) -> Any:
    out = io.StringIO()
    call_command("export_data", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_export_data_builds_through_the_task_and_copies_the_files_out(media, tmp_path):
    panel = build_three_wave_panel()
    out = tmp_path / "out"

    summary = _export(
        "--study", "panel", "--waves", f"w1,w2,{panel.waves[2].pk}", "--format", "csv",
        "--sample", "panel", "--layout", "long", "--k", "2", "--out", str(out),
    )  # fmt: skip

    assert summary["rows"] == EXPECTED_ROWS[("panel", "long", False)]
    assert summary["k"] == 2
    assert sorted(summary["files"]) == sorted(p.name for p in out.iterdir())
    data = next(out / f for f in summary["files"] if f.endswith(".csv"))
    frame = pd.read_csv(data)
    assert len(frame) == summary["rows"]
    text = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert [s for s in [*PLANTED, *panel.raw_panel_keys] if s in text] == []
    assert ExportJob.objects.get().requested_by is None


def test_export_data_includes_flagged_responses_when_asked(media, tmp_path):
    build_three_wave_panel()

    summary = _export(
        "--study", "panel", "--format", "parquet", "--sample", "combined", "--layout", "wide",
        "--include-flagged", "--k", "2", "--out", str(tmp_path / "out"),
    )  # fmt: skip

    assert summary["rows"] == EXPECTED_ROWS[("combined", "wide", True)]


@pytest.mark.parametrize(
    ("_case", "args", "message"),
    [
        ("unknown study", ["--study", "nope"], "study: study 'nope' does not exist"),
        ("unknown wave", ["--study", "panel", "--waves", "w9"], "waves: wave 'w9' does not belong"),
        ("k too small", ["--study", "panel", "--k", "1"], "k: k must be an integer of at least 2"),
    ],
)
def test_export_data_exits_with_a_one_line_message_on_bad_input(
    media, tmp_path, _case, args, message
):
    build_three_wave_panel()

    with pytest.raises(CommandError, match=message):
        call_command(
            "export_data", *args, "--format", "csv", "--sample", "combined", "--layout", "long",
            "--out", str(tmp_path / "out"),
        )  # fmt: skip

    assert ExportJob.objects.count() == 0


def test_export_data_applies_the_risk_limit_when_the_study_declares_its_population(media, tmp_path):
    # given: a study that declares it samples a population of 100 people
    panel = build_three_wave_panel()
    panel.study.population_size = 100
    panel.study.save(update_fields=["population_size"])
    common = ["--study", "panel", "--format", "csv", "--sample", "combined", "--layout", "long"]
    common += ["--language", "en"]

    # when
    strict = _export(*common, "--k", "2", "--out", str(tmp_path / "strict"))
    lenient = _export(*common, "--k", "2", "--max-risk", "1", "--out", str(tmp_path / "lenient"))

    # then: the same files, gated against each limit, and the summary says so in words
    reports = {
        job.options["max_global_risk"]: job.disclosure_report
        for job in ExportJob.objects.order_by("pk")
    }
    assert strict["rows"] == lenient["rows"]
    assert reports[0.01]["global_risk_gated"] is True
    assert reports[0.01]["global_risk_within_limit"] is False
    assert reports[1.0]["global_risk_within_limit"] is True
    assert strict["release_gate_passed"] is False
    assert lenient["release_gate_passed"] is True
    assert any("NOT ANONYMOUS" in line for line in strict["disclosure"])
    assert any("suppressed" in line for line in lenient["disclosure"])
    assert set(lenient["suppressed_share"]) == set(reports[1.0]["quasi_identifiers"])


def test_export_data_says_in_words_what_disclosure_control_did(media, tmp_path):
    build_three_wave_panel()
    out = io.StringIO()

    call_command(
        "export_data", "--study", "panel", "--format", "csv", "--sample", "combined",
        "--layout", "long", "--k", "2", "--language", "en", "--out", str(tmp_path / "out"),
        stdout=out,
    )  # fmt: skip

    text = out.getvalue()
    assert "k-anonymous" in text
    assert "suppressed" in text
    assert "no population size" in text
