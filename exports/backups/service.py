"""Make, restore, verify and prune backups: the entry points the commands and the nightly
task call. Nothing here writes outside its private working directory until every check
has passed."""

from __future__ import annotations

import logging
import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from exports.backups import age, archive, database, keys
from exports.backups.database import Database
from exports.backups.errors import BackupError
from exports.models import ExportJob
from respondents.models import Response

logger = logging.getLogger(__name__)

NAME_PREFIX = "panelwave-"
SUFFIX = ".tar.age"
MEDIA_PREFIX = "media/"

ERROR_OUT = "--out {path} is not a directory"
ERROR_NO_FILE = "{file} does not exist"
ERROR_ENGINE = "{file} is a {found} backup; the target database is {expected}"
ERROR_MIGRATIONS = (
    "{file} was made by a newer release (migrations unknown here: {names}); upgrade first"
)
ERROR_MEDIA_EXISTS = "{path} already exists in the media directory; restore into an empty one"
ERROR_COUNTS = "restored table {table} has {found} rows, the manifest says {expected}"
ERROR_TABLES = "restored tables differ from the manifest: {names}"


@dataclass(frozen=True)
class BackupMade:
    file: Path
    bytes: int
    responses: int


@dataclass(frozen=True)
class Restored:
    file: Path
    responses: int
    tables: int
    rows: int
    files: int
    keys: str  # "match" or the path of the environment file written


@dataclass(frozen=True)
class Verified:
    file: Path
    responses: int
    tables: int
    rows: int
    files: int
    created_at: str
    missing_files: list[str] = field(default_factory=list)


def make_backup(out_dir: Path) -> BackupMade:
    """One consistent, encrypted snapshot in out_dir, written atomically."""
    if not out_dir.is_dir():
        raise BackupError(ERROR_OUT.format(path=out_dir))
    recipient = age.recipient(settings.PANELWAVE_BACKUP_RECIPIENT)
    source = Database.from_settings(connection.settings_dict)
    created = datetime.now(tz=UTC)
    target = out_dir / f"{NAME_PREFIX}{created:%Y%m%dT%H%M%S%fZ}{SUFFIX}"
    with _workdir() as work:
        snap = database.take_snapshot(source, work, export_table=ExportJob._meta.db_table)
        members = [archive.Member(snap.dump.name, snap.dump)]
        key_file = work / keys.KEYS_MEMBER
        keys.write_keys(key_file)
        members.append(archive.Member(keys.KEYS_MEMBER, key_file))
        media = Path(settings.MEDIA_ROOT)
        missing = []
        for relative in snap.export_files:
            path = media / relative
            # An export expired between the snapshot and now: its row says done, its file
            # is gone. Recorded, not fatal: a later backup no longer lists it.
            if not path.is_file():
                missing.append(relative)
                continue
            members.append(archive.Member(MEDIA_PREFIX + relative, path))
        responses = snap.tables.get(Response._meta.db_table, 0)
        manifest: dict[str, Any] = {
            "format": archive.FORMAT,
            "panelwave": _version(),
            "created_at": created.isoformat(),
            "engine": source.engine,
            "migrations": snap.migrations,
            "tables": snap.tables,
            "responses": responses,
            "files": {
                member.name: {
                    "sha256": archive.sha256_of(member.path),
                    "bytes": member.path.stat().st_size,
                }
                for member in members
            },
            "missing_files": missing,
        }
        plain = work / "backup.tar"
        archive.write_archive(plain, manifest, members)
        # Encrypted beside the target under a hidden name, then renamed: a reader (or the
        # pruning) never sees a partial backup.
        staged = out_dir / f".{target.name}.partial"
        try:
            age.encrypt(plain, staged, recipient)
            with staged.open("rb") as handle:
                os.fsync(handle.fileno())
            staged.chmod(0o600)
            os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)
    size = target.stat().st_size
    logger.info("backup written: %s (%d bytes)", target.name, size)
    return BackupMade(file=target, bytes=size, responses=responses)


def restore_backup(
    file: Path,
    *,
    target: Database | None = None,
    media_dir: Path | None = None,
    keys_out: Path | None = None,
) -> Restored:
    """Restore into an empty database and media directory; refuses before writing."""
    target = target or Database.from_settings(connection.settings_dict)
    media = media_dir or Path(settings.MEDIA_ROOT)
    with _opened(file) as (manifest, work):
        _check_compatible(manifest, target, file)
        backed_up = keys.read_keys(work / keys.KEYS_MEMBER)
        keys.check_keys_out(keys_out, backed_up)
        exports = _media_members(manifest)
        for name in exports:
            if (media / name).exists():
                raise BackupError(ERROR_MEDIA_EXISTS.format(path=name))
        database.ensure_empty(target)
        database.load_snapshot(work / database.DUMP_NAMES[target.engine], target)
        for name in exports:
            destination = media / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(work / (MEDIA_PREFIX + name), destination)
        written = "match"
        if not keys.keys_match(backed_up):
            assert keys_out is not None  # noqa: S101 (check_keys_out refused otherwise)
            keys.write_env_file(keys_out, backed_up)
            written = str(keys_out)
    tables: dict[str, int] = manifest["tables"]
    return Restored(
        file=file,
        responses=int(manifest["responses"]),
        tables=len(tables),
        rows=sum(tables.values()),
        files=len(exports),
        keys=written,
    )


def verify_backup(file: Path) -> Verified:
    """Restore into a scratch database and compare row counts with the manifest; every
    file's checksum is compared as it is extracted."""
    like = Database.from_settings(connection.settings_dict)
    with _opened(file) as (manifest, work):
        _check_compatible(manifest, like, file)
        keys.read_keys(work / keys.KEYS_MEMBER)
        with database.scratch_database(like, work) as scratch:
            database.load_snapshot(work / database.DUMP_NAMES[like.engine], scratch)
            restored = database.row_counts(scratch)
    expected: dict[str, int] = manifest["tables"]
    if set(restored) != set(expected):
        names = sorted(set(restored) ^ set(expected))
        raise BackupError(ERROR_TABLES.format(names=", ".join(names[:5])))
    for table, count in sorted(expected.items()):
        if restored[table] != count:
            raise BackupError(
                ERROR_COUNTS.format(table=table, found=restored[table], expected=count)
            )
    return Verified(
        file=file,
        responses=int(manifest["responses"]),
        tables=len(expected),
        rows=sum(expected.values()),
        files=len(_media_members(manifest)),
        created_at=str(manifest.get("created_at", "")),
        missing_files=list(manifest.get("missing_files", [])),
    )


def prune_backups(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in out_dir (names sort by time)."""
    backups = sorted(out_dir.glob(f"{NAME_PREFIX}*{SUFFIX}"))
    doomed = backups[: max(len(backups) - keep, 0)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def nightly_backup() -> BackupMade:
    out_dir = Path(settings.BACKUP_DIR)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    made = make_backup(out_dir)
    prune_backups(out_dir, settings.BACKUP_KEEP)
    return made


@contextmanager
def _workdir() -> Iterator[Path]:
    # Plaintext (the dump, the keys) exists only here, owner-only, and is removed at the
    # end; the systemd units give each service a private /tmp.
    with tempfile.TemporaryDirectory(prefix="panelwave-backup-") as name:
        os.chmod(name, 0o700)
        yield Path(name)


@contextmanager
def _opened(file: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """Decrypt and unpack into a private directory, every checksum checked."""
    if not file.is_file():
        raise BackupError(ERROR_NO_FILE.format(file=file))
    identity = settings.PANELWAVE_BACKUP_IDENTITY
    identities = age.identities(identity)
    with _workdir() as work:
        plain = work / "backup.tar"
        age.decrypt(file, plain, identities, identity=identity)
        unpacked = work / "unpacked"
        unpacked.mkdir()
        manifest = archive.read_archive(plain, unpacked, label=str(file))
        plain.unlink()
        yield manifest, unpacked


def _check_compatible(manifest: dict[str, Any], target: Database, file: Path) -> None:
    if manifest.get("engine") != target.engine:
        raise BackupError(
            ERROR_ENGINE.format(file=file, found=manifest.get("engine"), expected=target.engine)
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [
        f"{app}.{name}"
        for app, names in dict(manifest.get("migrations") or {}).items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(ERROR_MIGRATIONS.format(file=file, names=", ".join(unknown[:5])))


def _media_members(manifest: dict[str, Any]) -> list[str]:
    return sorted(
        name.removeprefix(MEDIA_PREFIX)
        for name in manifest["files"]
        if name.startswith(MEDIA_PREFIX)
    )


def _version() -> str:
    with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])
