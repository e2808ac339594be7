"""Backups made while respondents answer restore everything that was complete at the
snapshot; damaged, truncated or foreign backups are refused with nothing written."""

from __future__ import annotations

import hashlib
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from exports.backups.database import Database
from exports.backups.service import prune_backups
from exports.models import ExportJob
from exports.tasks import nightly_backup_task
from respondents.models import Contact, PanelMember, Response, ResponseStatus
from respondents.services.contacts import contact_fernet, store_contact
from tests.conftest import postgres_only
from tests.exports.backup_helpers import (
    database_names_like,
    empty_postgres,
    make_age_keys,
    query,
    respond,
    table_count,
)
from tests.exports.exporting import use_media
from tests.exports.fixtures import build_three_wave_panel
from tests.respondents.form_helpers import make_wave

RESPONDENTS = 20

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path):
    return use_media(settings, tmp_path)


@pytest.fixture
def age_keys(settings, tmp_path):
    keys = make_age_keys(tmp_path)
    settings.PANELWAVE_BACKUP_RECIPIENT = keys.recipient
    settings.PANELWAVE_BACKUP_IDENTITY = str(keys.identity_file)
    return keys


def _command(name: str, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(name, *args, "--json", stdout=out)
    payload: dict[str, Any] = json.loads(out.getvalue())
    return payload


def _url(database: Database) -> str:
    password = f":{database.password}" if database.password else ""
    return (
        f"postgres://{database.user}{password}@{database.host or '127.0.0.1'}:"
        f"{database.port or 5432}/{database.name}"
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _study_with_an_export(tmp_path: Path, media: Path) -> dict[str, str]:
    """A three-wave panel, members with real encrypted contacts, and one built export;
    returns each export file's checksum by its path under MEDIA_ROOT."""
    panel = build_three_wave_panel("bk")
    for i in range(5):
        member = PanelMember.objects.create(study=panel.study, pseudonym=f"pmbkc{i}")
        store_contact(member, email=f"person{i}@example.org", telegram=f"handle_{i}x")
    call_command(
        "export_data", "--study", "bk", "--format", "csv", "--sample", "combined",
        "--layout", "long", "--k", "2", "--out", str(tmp_path / "copied"), stdout=io.StringIO(),
    )  # fmt: skip
    job = ExportJob.objects.get()
    assert job.files
    return {path: _sha(media / path) for path in job.files}


@pytest.mark.slow
def test_a_backup_taken_while_respondents_answer_restores_all_that_was_complete(
    live_server, settings, media, age_keys, tmp_path
):
    # given: a study with members, encrypted contacts and an export, and an open wave
    settings.RESPONSE_START_LIMIT = 1000
    export_files = _study_with_an_export(tmp_path, media)
    wave = make_wave("live")
    backups = tmp_path / "backups"
    backups.mkdir()

    # when: 20 respondents answer page by page, and a backup is made while they do
    with ThreadPoolExecutor(max_workers=RESPONDENTS) as pool:
        answering = [
            pool.submit(respond, live_server.url, wave.slug, n) for n in range(RESPONDENTS)
        ]
        deadline = time.monotonic() + 120
        while (
            Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETED).count() < 3
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        # Read just before the snapshot: what is committed now must be in it (a response's
        # completed_at is taken before its transaction commits, so it cannot tell).
        complete_before = {
            r.pk: r.answers
            for r in Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETED)
        }
        made = _command("backup", "--out", str(backups))
        for future in answering:
            future.result()

    # then: the backup is the one file in the directory, and it reports its responses
    assert Path(made["file"]).parent == backups
    assert [p.name for p in backups.iterdir()] == [Path(made["file"]).name]
    assert made["bytes"] == Path(made["file"]).stat().st_size
    assert len(complete_before) >= 3
    assert Response.objects.filter(wave=wave).count() == RESPONDENTS

    with empty_postgres("restored") as target:
        restored_media = tmp_path / "restored-media"
        restored = _command(
            "restore", made["file"], "--database-url", _url(target),
            "--media-dir", str(restored_media),
        )  # fmt: skip

        assert restored["responses"] == made["responses"]
        assert restored["keys"] == "match"
        rows = query(target, "SELECT id, status, answers FROM respondents_response")
        assert len(rows) == made["responses"]
        by_id = {pk: (status, answers) for pk, status, answers in rows}
        for pk, answers in complete_before.items():
            assert by_id[pk] == (ResponseStatus.COMPLETED, answers)
        members = set(query(target, "SELECT id, pseudonym FROM respondents_panelmember"))
        assert members == set(PanelMember.objects.values_list("id", "pseudonym"))
        contacts = dict(query(target, "SELECT member_id, email_encrypted FROM respondents_contact"))
        assert contacts == dict(Contact.objects.values_list("member_id", "email_encrypted"))
        fernet = contact_fernet()
        emails = sorted(
            fernet.decrypt(contacts[m.pk].encode()).decode()
            for m in PanelMember.objects.filter(pseudonym__startswith="pmbkc")
        )
        assert emails == [f"person{i}@example.org" for i in range(5)]
        assert {path: _sha(restored_media / path) for path in export_files} == export_files


def test_a_backup_reveals_nothing_without_the_private_key(settings, media, age_keys, tmp_path):
    # given
    export_files = _study_with_an_export(tmp_path, media)
    made = _command("backup", "--out", str(tmp_path))
    raw = Path(made["file"]).read_bytes()

    # then: no dump header, no pseudonym, no ciphertext, no export content in the clear
    export_text = (media / next(iter(export_files))).read_bytes()[:40]
    for clear in [b"PGDMP", b"pmbkc0", b"manifest.json", export_text]:
        assert clear not in raw
    ciphertext = Contact.objects.exclude(email_encrypted="").first()
    assert ciphertext is not None
    assert ciphertext.email_encrypted.encode()[:40] not in raw

    # and: another identity cannot open it
    other = make_age_keys(tmp_path, "other")
    settings.PANELWAVE_BACKUP_IDENTITY = str(other.identity_file)
    with pytest.raises(CommandError, match="is not encrypted to the identity in"):
        call_command("verify_backup", made["file"])


def _truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def _altered(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


@pytest.mark.parametrize(
    ("damage", "message"),
    [(_truncated, "is damaged \\(truncated or altered\\)"), (_altered, "is damaged")],
)
def test_a_damaged_backup_is_refused_by_restore_and_verify_with_nothing_written(
    damage, message, media, age_keys, tmp_path
):
    # given
    _study_with_an_export(tmp_path, media)
    made = _command("backup", "--out", str(tmp_path))
    bad = tmp_path / "damaged.tar.age"
    bad.write_bytes(damage(Path(made["file"]).read_bytes()))
    restored_media = tmp_path / "restored-media"

    with empty_postgres("damaged") as target:
        # when / then
        with pytest.raises(CommandError, match=message):
            call_command(
                "restore", str(bad), "--database-url", _url(target),
                "--media-dir", str(restored_media),
            )  # fmt: skip
        with pytest.raises(CommandError, match=message):
            call_command("verify_backup", str(bad))

        # and: nothing was written anywhere
        assert table_count(target) == 0
        assert not restored_media.exists()
        assert database_names_like(f"{target.name.rsplit('_', 1)[0]}%_verify_%") == []


def test_verify_backup_restores_into_a_scratch_database_and_drops_it(media, age_keys, tmp_path):
    _study_with_an_export(tmp_path, media)
    made = _command("backup", "--out", str(tmp_path))

    verified = _command("verify_backup", made["file"])

    assert verified["responses"] == made["responses"] == Response.objects.count()
    assert verified["files"] == len(ExportJob.objects.get().files)
    assert verified["rows"] > verified["tables"] > 30
    assert database_names_like("%_verify_%") == []


def test_restore_refuses_a_database_that_is_not_empty(media, age_keys, tmp_path):
    _study_with_an_export(tmp_path, media)
    made = _command("backup", "--out", str(tmp_path))

    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", made["file"], "--media-dir", str(tmp_path / "m"))

    assert Response.objects.count() == made["responses"]
    assert not (tmp_path / "m").exists()


def test_restore_with_other_keys_writes_the_backups_keys_only_when_asked(
    settings, media, age_keys, tmp_path
):
    # given: a backup, then a server whose contact and hash keys are new
    _study_with_an_export(tmp_path, media)
    made = _command("backup", "--out", str(tmp_path))
    old = {
        "PANELWAVE_CONTACT_KEYS": ",".join(settings.PANELWAVE_CONTACT_KEYS),
        "PANELWAVE_HASH_KEY": settings.PANELWAVE_HASH_KEY,
    }
    settings.PANELWAVE_CONTACT_KEYS = ["b" * 43 + "="]
    settings.PANELWAVE_HASH_KEY = "another-hash-key"

    with empty_postgres("keys") as target:
        args = ["--database-url", _url(target), "--media-dir", str(tmp_path / "m")]
        # when / then: refused before anything is written
        with pytest.raises(CommandError, match="--keys-out FILE"):
            call_command("restore", made["file"], *args)
        assert table_count(target) == 0

        # when: asked, the keys go to an owner-only environment file
        keys_file = tmp_path / "keys.env"
        restored = _command("restore", made["file"], *args, "--keys-out", str(keys_file))

        assert restored["keys"] == str(keys_file)
        assert keys_file.stat().st_mode & 0o777 == 0o600
        written = dict(line.split("=", 1) for line in keys_file.read_text().splitlines())
        assert written == old
        assert table_count(target) > 30


def test_backup_refuses_without_a_recipient(settings, tmp_path):
    settings.PANELWAVE_BACKUP_RECIPIENT = ""
    with pytest.raises(CommandError, match="PANELWAVE_BACKUP_RECIPIENT is not set"):
        call_command("backup", "--out", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_pruning_keeps_the_newest_backups(tmp_path):
    names = [f"panelwave-2026120{day}T021700000000Z.tar.age" for day in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")

    removed = prune_backups(tmp_path, keep=2)

    assert [p.name for p in removed] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names[3:], "notes.txt"])


def test_the_nightly_task_backs_up_and_keeps_the_newest(settings, media, age_keys, tmp_path):
    settings.BACKUP_DIR = tmp_path / "nightly"
    settings.BACKUP_KEEP = 2
    schedule = settings.CELERY_BEAT_SCHEDULE["nightly-backup"]
    assert schedule["task"] == nightly_backup_task.name == "exports.nightly_backup"

    made = [nightly_backup_task() for _ in range(3)]

    kept = sorted(p.name for p in (tmp_path / "nightly").iterdir())
    assert kept == sorted(Path(str(name)).name for name in made[1:])


def test_the_nightly_task_makes_nothing_without_a_recipient(settings, tmp_path, caplog):
    settings.PANELWAVE_BACKUP_RECIPIENT = ""
    settings.BACKUP_DIR = tmp_path / "nightly"

    assert nightly_backup_task() is None

    assert "PANELWAVE_BACKUP_RECIPIENT is not set" in caplog.text
    assert not (tmp_path / "nightly").exists()
