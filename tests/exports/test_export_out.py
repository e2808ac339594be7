"""`export_data --out` never writes through a symbolic link, and writes each file whole.

The probe found the command following a link already standing in the folder, so a
prepared link sent the dataset elsewhere.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from exports.outdir import ERROR_SYMLINK, copy_atomically, copy_files
from tests.exports.exporting import use_media
from tests.exports.fixtures import build_three_wave_panel

ARGS = (
    "--study",
    "panel",
    "--format",
    "csv",
    "--sample",
    "combined",
    "--layout",
    "long",
    "--k",
    "2",
)


@pytest.mark.django_db(transaction=True)
def test_export_data_refuses_a_symlink_in_the_folder_and_writes_nothing_through_it(
    settings, tmp_path
):
    # given a folder where someone planted links named like the export's files
    use_media(settings, tmp_path)
    build_three_wave_panel()
    first = tmp_path / "first"
    call_command("export_data", *ARGS, "--out", str(first), stdout=io.StringIO())
    names = sorted(path.name for path in first.iterdir())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / names[0]).symlink_to(elsewhere / "stolen.csv")

    with pytest.raises(CommandError) as refused:
        call_command("export_data", *ARGS, "--out", str(out), stdout=io.StringIO())

    assert str(refused.value) == ERROR_SYMLINK.format(path=out / names[0])
    assert list(elsewhere.iterdir()) == []
    assert sorted(path.name for path in out.iterdir()) == [names[0]]  # nothing else written


@pytest.mark.django_db(transaction=True)
def test_export_data_refuses_an_out_folder_that_is_a_symlink(settings, tmp_path):
    use_media(settings, tmp_path)
    build_three_wave_panel()
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)

    with pytest.raises(CommandError) as refused:
        call_command("export_data", *ARGS, "--out", str(link), stdout=io.StringIO())

    assert str(refused.value) == ERROR_SYMLINK.format(path=link)
    assert list(real.iterdir()) == []


def test_a_failed_copy_leaves_the_previous_file_and_no_temporary_file(tmp_path, monkeypatch):
    # given a complete earlier file and a copy that fails half-way
    target = tmp_path / "data.csv"
    target.write_text("old,complete\n")
    source = tmp_path / "new.csv"
    source.write_bytes(b"x" * 3_000_000)

    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        copy_atomically(source, target)

    assert target.read_text() == "old,complete\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data.csv", "new.csv"]


def test_copy_files_replaces_regular_files_whole(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "a.csv").write_text("new a\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("old a\n")

    names = copy_files([Path(sources / "a.csv")], out)

    assert names == ["a.csv"]
    assert (out / "a.csv").read_text() == "new a\n"
    assert sorted(path.name for path in out.iterdir()) == ["a.csv"]
