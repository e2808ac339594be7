"""The plaintext inside a backup: a tar of manifest.json first, then every file it lists
with its SHA-256. Reading checks each member against the manifest as it is extracted and
accepts only the names a backup writes, so a crafted archive cannot write elsewhere."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from exports.backups.errors import BackupError

MANIFEST = "manifest.json"
FORMAT = 1
# A manifest lists tables and files: megabytes at most, even for a decade of exports.
MANIFEST_MAX_BYTES = 16 * 1024 * 1024
CHUNK = 1024 * 1024
# Top-level names a backup writes; export files go under media/.
MEMBER_NAME = re.compile(r"^(database\.pgdump|database\.sqlite3|keys\.json|media/[^\x00]+)$")

ERROR_NOT_BACKUP = "{file} holds no Panelwave backup: {error}"
ERROR_NO_MANIFEST = "{file} does not start with a manifest"
ERROR_MANIFEST = "the manifest of {file} is unreadable: {error}"
ERROR_FORMAT = "{file} is a backup of format {found}; this release reads format {expected}"
ERROR_MEMBER = "{file} holds an unexpected member {name!r}"
ERROR_CHECKSUM = "{name} in {file} does not match its checksum in the manifest"
ERROR_MISSING = "{file} lacks {names} listed in its manifest"


@dataclass(frozen=True)
class Member:
    name: str
    path: Path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_archive(target: Path, manifest: dict[str, Any], members: Iterable[Member]) -> None:
    with tarfile.open(target, "w") as tar:
        body = json.dumps(manifest, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        info.mode = 0o600
        tar.addfile(info, io.BytesIO(body))
        for member in members:
            info = tar.gettarinfo(str(member.path), arcname=member.name)
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            with member.path.open("rb") as handle:
                tar.addfile(info, handle)


def read_archive(source: Path, into: Path, *, label: str) -> dict[str, Any]:
    """Extract into `into`, checking every member; returns the manifest."""
    try:
        tar = tarfile.open(source, "r:")  # noqa: SIM115 (closed by the with below)
    except tarfile.TarError as exc:
        raise BackupError(ERROR_NOT_BACKUP.format(file=label, error=exc)) from exc
    with tar:
        try:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise BackupError(ERROR_NO_MANIFEST.format(file=label))
            manifest = _manifest(tar, first, label)
            expected: dict[str, Any] = manifest["files"]
            seen: set[str] = set()
            while (member := tar.next()) is not None:
                _extract(tar, member, expected, into, label)
                seen.add(member.name)
        except tarfile.TarError as exc:
            raise BackupError(ERROR_NOT_BACKUP.format(file=label, error=exc)) from exc
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(ERROR_MISSING.format(file=label, names=", ".join(missing[:5])))
    return manifest


def _manifest(tar: tarfile.TarFile, info: tarfile.TarInfo, label: str) -> dict[str, Any]:
    if info.size > MANIFEST_MAX_BYTES:
        raise BackupError(ERROR_MANIFEST.format(file=label, error="too large"))
    handle = tar.extractfile(info)
    try:
        manifest = json.loads(handle.read() if handle else b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(ERROR_MANIFEST.format(file=label, error=exc)) from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BackupError(ERROR_MANIFEST.format(file=label, error="no list of files"))
    if manifest.get("format") != FORMAT:
        raise BackupError(
            ERROR_FORMAT.format(file=label, found=manifest.get("format"), expected=FORMAT)
        )
    return manifest


def _extract(
    tar: tarfile.TarFile, member: tarfile.TarInfo, expected: dict[str, Any], into: Path, label: str
) -> None:
    name = member.name
    parts = PurePosixPath(name).parts
    if (
        not member.isfile()
        or not MEMBER_NAME.match(name)
        or name not in expected
        or ".." in parts
        or name.startswith("/")
    ):
        raise BackupError(ERROR_MEMBER.format(file=label, name=name))
    target = into.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    source = tar.extractfile(member)
    assert source is not None  # noqa: S101 (a regular file always has a stream)
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected[name].get("sha256"):
        raise BackupError(ERROR_CHECKSUM.format(name=name, file=label))
