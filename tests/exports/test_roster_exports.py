"""A roster (an XLSForm repeat) in an export: a child table with one row per entry in the
long layout and numbered columns in the wide one, in every format, keyed by the same pids
as the main table; each with its codebook; identifiers never read and free text released
only as its scrub. Read back with pyreadstat, pandas, pyarrow and R (haven)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from django.utils import timezone

from exports.assembly import build_dataset
from exports.codebook import ExportDescription, write_codebook
from exports.dataset import Dataset, ExportSpec
from exports.jobs import run_export_job
from exports.models import ExportJob, ExportStatus
from exports.repeats import write_rosters
from exports.writers import get_writer
from respondents.cleaning.service import clean_wave
from respondents.models import CleaningRunStatus, QualityFlag, Response, ResponseStatus, Wave
from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.builders import make_study
from tests.exports.exporting import files_on_disk, use_media
from tests.surveys.roster_forms import roster_form

pytestmark = pytest.mark.django_db

NEEDS_R = pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
PEOPLE = 12


def _member(name: str, age: int, relation: str, **more: object) -> dict[str, object]:
    return {"m_name": name, "m_age": age, "m_rel": relation, "m_adult": int(age >= 18), **more}


def _wave(tmp_path: Path) -> Wave:
    study = make_study("households", languages=("en",))
    result = import_questionnaire(roster_form(tmp_path / "roster.xlsx"), study=study)
    version = publish_version(result.version.pk)
    wave = open_wave(study, version, "w1")
    now = timezone.now()
    for index in range(PEOPLE):
        members = [_member(f"Nino{index}", 30 + index, "partner", m_pos=1)]
        if index % 2:
            school = "Ask Luka at luka.b@example.org" if index == 1 else "School 12"
            members.append(_member("Luka", 7, "child", m_school=school, m_pos=2))
        if index % 3 == 0:
            members.append(_member("Gia", 70, "parent", m_pos=len(members) + 1))
        Response.objects.create(
            wave=wave,
            status=ResponseStatus.COMPLETED,
            language="en",
            answers={
                "city": "Tbilisi",
                "members": members,
                "n_members": len(members),
                "n_adults": sum(int(str(m["m_age"])) >= 18 for m in members),
                "right": "yes",
            },
            paradata={"pages": {"members": {"seconds": 60.0 + index}}},
            started_at=now - timedelta(minutes=20),
            completed_at=now,
        )
    return wave


def _dataset(wave: Wave, layout: str) -> Dataset:
    spec = ExportSpec(
        study_id=wave.study_id,
        wave_ids=(wave.pk,),
        sample="combined",
        layout=layout,  # type: ignore[arg-type]
        k=2,
        include_flagged=True,
        language="en",
        pseudonym_key=b"r" * 32,
    )
    return build_dataset(spec)


def _export(wave: Wave, directory: Path, fmt: str, layout: str = "long") -> list[Path]:
    dataset = _dataset(wave, layout)
    directory.mkdir()
    written = get_writer(fmt)(dataset, directory, basename="data")
    about = ExportDescription(
        study="households", format=fmt, sample="combined", layout=layout, waves=("w1",),
        language="en", k=2, include_flagged=True, created_at=pd.Timestamp.now(tz="UTC"),
    )  # fmt: skip
    rosters = write_rosters(dataset, fmt, about, directory, basename="data")
    write_codebook(dataset, written, about, directory, basename="data")
    return [written.paths[0], *rosters]


@pytest.fixture
def wave(tmp_path: Path) -> Wave:
    return _wave(tmp_path)


def test_the_long_child_table_has_one_row_per_entry_keyed_like_the_main_table(
    wave: Wave, tmp_path: Path
) -> None:
    main, child, *_codebooks = _export(wave, tmp_path / "sav", "sav")
    assert child.name == "data-members.sav"
    data, _meta = pyreadstat.read_sav(str(main))
    entries, meta = pyreadstat.read_sav(str(child), user_missing=True)
    # 12 households: 12 partners, 6 children, 4 parents.
    assert len(entries) == 22
    assert list(entries.columns[:3]) == ["pid", "wave", "entry"]
    assert set(entries["pid"]) == set(data["pid"])
    sizes = entries.groupby("pid")["entry"].max()
    assert sorted(sizes.value_counts().items()) == [(1.0, 4), (2.0, 6), (3.0, 2)]
    # The roster's items are the child's columns, not the main table's.
    assert {"m_age", "m_rel", "m_school", "m_adult", "m_pos"} <= set(entries.columns)
    assert not {"m_age", "m_rel", "m_school"} & set(data.columns)
    # A direct identifier inside the roster is never released.
    assert not any("name" in column for column in entries.columns)
    assert "Nino0" not in child.read_bytes().decode("latin-1")
    # Labels and the codebook of the child table.
    labels = meta.variable_value_labels["m_rel"]
    assert {code: text for code, text in labels.items() if code > 0} == {
        1.0: "Partner",
        2.0: "Child",
        3.0: "Parent",
        4.0: "Someone else",
    }
    # A piped answer has no one value in a table: its placeholder, explained in the codebook.
    assert meta.column_names_to_labels["m_age"] == "Age of [m_name]"
    assert entries.loc[entries["m_rel"] == 2, "m_age"].eq(7).all()
    codebook = (tmp_path / "sav" / "data-members_codebook.md").read_text()
    assert "One row per entry of the roster 'members'" in codebook
    assert "Withheld from the roster table: direct identifiers" in codebook
    assert "m\\_name" in codebook
    assert "\\[m\\_name\\] in the label: the answer to that item" in codebook
    main_codebook = (tmp_path / "sav" / "data_codebook.md").read_text()
    assert "data-members.sav" in main_codebook
    package = json.loads((tmp_path / "sav" / "datapackage.json").read_text())
    roster = package["resources"][1]
    assert (roster["name"], roster["path"]) == ("members", "data-members.sav")
    assert [f["name"] for f in roster["schema"]["fields"]][:3] == ["pid", "wave", "entry"]


def test_free_text_in_a_roster_is_released_only_as_its_scrub(wave: Wave, tmp_path: Path) -> None:
    _main, child, *_rest = _export(wave, tmp_path / "csv", "csv")
    entries = pd.read_csv(child)
    schools = set(entries["m_school"].dropna())
    assert "School 12" in schools
    assert not any("luka.b@example.org" in text for text in schools)
    assert any("[" in text or "<" in text for text in schools - {"School 12"})


def test_every_format_holds_the_same_child_table(wave: Wave, tmp_path: Path) -> None:
    counts = {}
    for fmt in ("dta", "parquet", "csv"):
        child = _export(wave, tmp_path / fmt, fmt)[1]
        if fmt == "dta":
            frame, meta = pyreadstat.read_dta(str(child))
            assert meta.column_names_to_labels["m_age"] == "Age of [m_name]"
        elif fmt == "parquet":
            frame = pq.read_table(child).to_pandas()
        else:
            frame = pd.read_csv(child)
        counts[fmt] = (len(frame), float(frame["m_age"].sum()))
    assert len(set(counts.values())) == 1, counts


def test_the_wide_layout_numbers_the_entries_columns(wave: Wave, tmp_path: Path) -> None:
    main, child, *_rest = _export(wave, tmp_path / "wide", "sav", layout="wide")
    frame, meta = pyreadstat.read_sav(str(child), user_missing=True)
    assert len(frame) == PEOPLE
    assert {"m_age_1", "m_age_2", "m_age_3"} <= set(frame.columns)
    assert "m_age_4" not in frame.columns
    assert meta.column_names_to_labels["m_age_2"] == "Age of [m_name] (entry 2)"
    # An entry a household does not have is "not asked", never a made-up value.
    assert (frame["m_age_3"] == -4).sum() == PEOPLE - 2
    data, _meta = pyreadstat.read_sav(str(main))
    assert set(frame["pid"]) == set(data["pid"])


@NEEDS_R
def test_r_with_haven_reads_the_child_table(wave: Wave, tmp_path: Path) -> None:
    child = _export(wave, tmp_path / "rds", "rds")[1]
    script = f"""
    setwd({json.dumps(str(child.parent))})
    source("data-members.R")
    cat(nrow(data), "\\n")
    cat(sum(as.numeric(data[["m_age"]]), na.rm = TRUE), "\\n")
    cat(class(data[["m_rel"]])[1], "\\n")
    cat(as.character(haven::as_factor(data[["m_rel"]])[data[["entry"]] == 2][1]), "\\n")
    cat(attr(data[["m_age"]], "label"), "\\n")
    """
    out = subprocess.run(
        ["Rscript", "-e", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert int(out[0]) == 22
    expected = sum(30 + i for i in range(PEOPLE)) + 7 * 6 + 70 * 4
    assert float(out[1]) == expected
    assert out[2].strip() == "haven_labelled"
    assert out[3].strip() in ("Child", "Parent")
    assert out[4].strip() == "Age of [m_name]"


def test_an_export_job_publishes_the_roster_table_with_the_main_files(
    wave: Wave, settings: Any, tmp_path: Path
) -> None:
    media = use_media(settings, tmp_path / "media")
    job = ExportJob.objects.create(
        study=wave.study, waves=[wave.pk], sample="combined", layout="long", format="rds",
        options={"k": 2, "include_flagged": True},
    )  # fmt: skip
    done = run_export_job(job.pk)
    assert done is not None
    assert done.status == ExportStatus.DONE, done.error
    stem = f"{wave.study.slug}-combined-long-{job.pk}"
    names = files_on_disk(media, done)
    assert {
        f"{stem}-members.rds",
        f"{stem}-members.R",
        f"{stem}-members_codebook.md",
        f"{stem}-members_ddi.xml",
    } <= set(names)
    assert sorted(done.files) == [f"exports/{job.pk}/{n}" for n in names]


def test_cleaning_reads_a_roster_wave_without_taking_entries_for_answers(wave: Wave) -> None:
    run = clean_wave(wave.pk)
    assert run.status == CleaningRunStatus.FINISHED
    # Twelve households answering alike are not straightliners on a roster's empty items.
    assert not QualityFlag.objects.filter(run=run, rule__startswith="straight").exists()
