"""The keys that unlock contact details and blind indexes live in the environment, not the
database, so a dump alone cannot bring contacts back. A backup carries them inside its
encryption (keys.json); a restore uses them only if the running server's keys differ, by
writing them to an environment file the operator installs (docs/operations.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings

from exports.backups.errors import BackupError

KEYS_MEMBER = "keys.json"
CONTACT_KEYS = "PANELWAVE_CONTACT_KEYS"
HASH_KEY = "PANELWAVE_HASH_KEY"

ERROR_KEYS_FILE = "the backup's keys.json is unreadable"
ERROR_KEYS_DIFFER = (
    "the backup's contact and hash keys differ from this server's; rerun with "
    "--keys-out FILE to write them to an environment file, install it, then restart"
)
ERROR_KEYS_OUT_EXISTS = "--keys-out {path} exists; name a new file"


def current_keys() -> dict[str, str]:
    return {
        CONTACT_KEYS: ",".join(settings.PANELWAVE_CONTACT_KEYS),
        HASH_KEY: settings.PANELWAVE_HASH_KEY,
    }


def write_keys(path: Path) -> None:
    path.write_text(json.dumps(current_keys()))
    path.chmod(0o600)


def read_keys(path: Path) -> dict[str, str]:
    try:
        keys = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(ERROR_KEYS_FILE) from exc
    if not isinstance(keys, dict) or not all(
        isinstance(keys.get(name), str) and keys[name] for name in (CONTACT_KEYS, HASH_KEY)
    ):
        raise BackupError(ERROR_KEYS_FILE)
    return {CONTACT_KEYS: keys[CONTACT_KEYS], HASH_KEY: keys[HASH_KEY]}


def keys_match(backed_up: dict[str, str]) -> bool:
    """True when this server decrypts what the backup's keys encrypted: the same hash key,
    and every backed-up contact key still among the server's (rotation adds keys)."""
    running = current_keys()
    ours = set(running[CONTACT_KEYS].split(","))
    return (
        backed_up[HASH_KEY] == running[HASH_KEY] and set(backed_up[CONTACT_KEYS].split(",")) <= ours
    )


def check_keys_out(path: Path | None, backed_up: dict[str, str]) -> None:
    """Refuse before anything is written: differing keys need somewhere to go."""
    if keys_match(backed_up):
        return
    if path is None:
        raise BackupError(ERROR_KEYS_DIFFER)
    if path.exists():
        raise BackupError(ERROR_KEYS_OUT_EXISTS.format(path=path))


def write_env_file(path: Path, backed_up: dict[str, str]) -> None:
    """An environment file (systemd EnvironmentFile, or `set -a; . FILE`), owner-only."""
    body = "".join(f"{name}={backed_up[name]}\n" for name in (CONTACT_KEYS, HASH_KEY))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(body)
