"""Audit fixes of the export: speed index, labels per language, quasi notes,
PII in every binary format, and the command's one-line failure."""

from __future__ import annotations

import io
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pyreadr
import pyreadstat
import pytest
from django.core.management import CommandError, call_command

from exports import jobs
from exports.assembly import build_dataset
from exports.dataset import ExportSpec
from exports.models import ExportJob, ExportStatus
from respondents.models import PanelMember, Response, ResponseStatus, Wave, WaveState
from tests.builders import build_version, make_study
from tests.exports.exporting import use_media
from tests.exports.fixtures import PLANTED, build_three_wave_panel

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


def _spec(panel, **options) -> ExportSpec:
    defaults = {"sample": "combined", "layout": "long", "pseudonym_key": b"k" * 32, "k": 2}
    return ExportSpec(study_id=panel.study.pk, wave_ids=panel.wave_ids, **{**defaults, **options})


def _frame(dataset: Any) -> Any:
    return pd.concat(list(dataset.chunks()), ignore_index=True)


def test_speed_index_is_leiners_rsi_for_every_completed_response():
    # given page times of every response (`about`: 30 + its index seconds)
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, include_flagged=True))
    frame = _frame(dataset)

    # then each wave's completes are scored against the median of their language's
    # completes when it has 10, else the wave's pooled median; the factor capped at 3
    expected: dict[str, float] = {}
    for wave in panel.waves:
        done = [r for r in panel.responses if r.wave_id == wave.pk and r.completed_at is not None]

        page = {r.pk: float(r.paradata["pages"]["about"]["seconds"]) for r in done}
        pooled = statistics.median(page.values())
        for r in done:
            same = [page[o.pk] for o in done if o.language == r.language]
            median = statistics.median(same) if len(same) >= 10 else pooled
            expected[str(r.source_id)] = min(median / page[r.pk], 3.0)
    by_duration = dict(zip(frame["duration"].round(3), frame["speed_index"], strict=True))
    for response in panel.responses:
        if response.completed_at is None:
            continue
        seconds = round((response.completed_at - response.started_at).total_seconds(), 3)
        assert by_duration[seconds] == pytest.approx(expected[str(response.source_id)])
    assert set(frame.loc[frame["complete"] == 0, "speed_index"]) == {-5.0}
    assert "recomputed by the export" in " ".join(
        next(v for v in dataset.variables if v.name == "speed_index").notes
    )


def test_labels_and_missing_codes_come_in_the_export_language():
    panel = build_three_wave_panel()

    dataset = build_dataset(_spec(panel, language="ru"))
    by_name = {v.name: v for v in dataset.variables}

    assert by_name["trust"].missing_codes[-3] == "Неприменимо (скрыто логикой переходов)"
    assert by_name["source_other"].label.endswith(": другое (укажите)")
    assert dataset.missing_scheme[-6] == "Удалено для защиты от раскрытия"
    assert by_name["media_tv"].value_labels == {0: "Не выбрано", 1: "Выбрано"}  # noqa: RUF001


def test_quasi_items_that_cannot_be_coarsened_are_withheld_with_a_codebook_note():
    # given a quasi select_multiple and a quasi select_one with "other, specify"
    study = make_study("quasi")
    pages = [
        {
            "name": "p",
            "questions": [
                {"name": "langs", "type": "select_multiple", "choices": "l", "privacy": "quasi"},
                {
                    "name": "job",
                    "type": "select_one",
                    "choices": "j",
                    "privacy": "quasi",
                    "other_choice": "other",
                },
            ],
        }
    ]
    options = [("a", {"en": "A"}), ("other", {"en": "Other"})]
    version = build_version(study, pages, choices={"l": options, "j": options})
    wave = Wave.objects.create(
        study=study, version=version, name="w1", slug="quasi-w1", state=WaveState.CLOSED
    )
    for n in range(3):
        member = PanelMember.objects.create(study=study, pseudonym=f"q{n}")
        Response.objects.create(
            wave=wave,
            member=member,
            status=ResponseStatus.COMPLETED,
            answers={"langs": ["a"], "job": "other", "job_other": f"Spy number {n}"},
            source_id=f"q{n}",
            started_at=datetime(2025, 1, 1, tzinfo=UTC),
        )

    dataset = build_dataset(
        ExportSpec(
            study_id=study.pk,
            wave_ids=(wave.pk,),
            sample="combined",
            layout="long",
            k=1,
            max_global_risk=1.0,
            pseudonym_key=b"q" * 32,
        )
    )

    names = [v.name for v in dataset.variables]
    assert [n for n in names if n.startswith(("langs", "job_other"))] == []
    assert (
        "Quasi-identifier items withheld (a set of choices cannot be coarsened to k): langs."
        in (dataset.notes)
    )
    job = next(v for v in dataset.variables if v.name == "job")
    assert any("'other, specify' text of this quasi-identifier is withheld" in n for n in job.notes)
    assert "Spy number" not in _frame(dataset).to_csv()


def _read(path: Path):
    if path.suffix == ".sav":
        frame, meta = pyreadstat.read_sav(str(path))
        return frame.to_csv() + repr(meta.column_names_to_labels) + repr(meta.variable_value_labels)
    if path.suffix == ".dta":
        frame, meta = pyreadstat.read_dta(str(path))
        return frame.to_csv() + repr(meta.column_names_to_labels) + repr(meta.variable_value_labels)
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return table.to_pandas().to_csv() + repr(table.schema.metadata) + repr(table.schema)
    if path.suffix == ".rds":
        frame = pyreadr.read_r(str(path))[None]
        return frame.to_csv() + repr(
            {c: list(frame[c].cat.categories) for c in frame.select_dtypes("category")}
        )
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("format_name", ["sav", "dta", "parquet", "rds"])
def test_no_planted_pii_identifier_or_panel_key_in_any_binary_format(media, format_name):
    panel = build_three_wave_panel()
    job = ExportJob.objects.create(
        study=panel.study,
        waves=list(panel.wave_ids),
        sample="combined",
        layout="long",
        format=format_name,
        options={"k": 2, "include_flagged": True},
    )

    done = jobs.run_export_job(job.pk)

    assert done is not None
    assert done.status == ExportStatus.DONE
    text = "".join(_read(Path(media) / f) for f in done.files)
    secrets = [*PLANTED, *panel.raw_panel_keys, "passport 4509"]
    assert [s for s in secrets if s in text] == []
    assert "<EMAIL>" in text
    assert "<TELEGRAM>" in text


@pytest.mark.django_db(transaction=True)
def test_export_data_prints_one_line_when_the_job_fails_unexpectedly(media, tmp_path, monkeypatch):
    build_three_wave_panel()

    def broken(spec):
        raise RuntimeError("boom with\nsecret answer text")

    monkeypatch.setattr(jobs, "build_dataset", broken)

    with pytest.raises(CommandError) as failure:
        call_command(
            "export_data", "--study", "panel", "--format", "csv", "--sample", "combined",
            "--layout", "long", "--k", "2", "--out", str(tmp_path / "out"),
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip

    job = ExportJob.objects.get()
    assert str(failure.value) == f"export {job.pk} failed: unexpected error: RuntimeError"
    assert job.status == ExportStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_export_data_prints_one_line_when_k_cannot_be_reached(media, tmp_path):
    build_three_wave_panel()

    with pytest.raises(CommandError) as failure:
        call_command(
            "export_data", "--study", "panel", "--format", "csv", "--sample", "combined",
            "--layout", "wide", "--k", "5", "--out", str(tmp_path / "out"),
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip

    job = ExportJob.objects.get()
    message = str(failure.value)
    assert message.startswith(f"export {job.pk} failed: ")
    assert "KAnonymity" in message or "k-anonymity with k=5 is impossible" in message
    assert "\n" not in message
    assert job.status == ExportStatus.FAILED
