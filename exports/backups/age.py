"""age encryption to a public key (the server holds no private key) and decryption with an
identity file the operator keeps elsewhere. age authenticates every 64 KiB chunk and marks
the last one, so a truncated or altered file fails here, before anything is read from it."""

from __future__ import annotations

from pathlib import Path

import pyrage

from exports.backups.errors import BackupError

ERROR_NO_RECIPIENT = (
    "PANELWAVE_BACKUP_RECIPIENT is not set: give the age public key (age1...) backups are "
    "encrypted to"
)
ERROR_BAD_RECIPIENT = "PANELWAVE_BACKUP_RECIPIENT is not an age public key (age1...): {error}"
ERROR_NO_IDENTITY = (
    "PANELWAVE_BACKUP_IDENTITY is not set: name the file holding the age private key "
    "(AGE-SECRET-KEY-1...)"
)
ERROR_IDENTITY_FILE = "cannot read the identity file {path}: {error}"
ERROR_BAD_IDENTITY = "the identity file {path} holds no age private key (AGE-SECRET-KEY-1...)"
ERROR_WRONG_KEY = "{file} is not encrypted to the identity in {identity} (or its header is damaged)"
ERROR_DAMAGED = "{file} is damaged (truncated or altered): {error}"
ERROR_NOT_AGE = "{file} is not an age-encrypted backup"
AGE_HEADER = b"age-encryption.org/v1\n"


def recipient(public_key: str) -> pyrage.x25519.Recipient:
    if not public_key.strip():
        raise BackupError(ERROR_NO_RECIPIENT)
    try:
        return pyrage.x25519.Recipient.from_str(public_key.strip())
    except pyrage.RecipientError as exc:
        raise BackupError(ERROR_BAD_RECIPIENT.format(error=exc)) from exc


def identities(identity_file: str) -> list[pyrage.x25519.Identity]:
    if not identity_file.strip():
        raise BackupError(ERROR_NO_IDENTITY)
    path = Path(identity_file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(ERROR_IDENTITY_FILE.format(path=path, error=exc)) from exc
    keys = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError as exc:
            raise BackupError(ERROR_BAD_IDENTITY.format(path=path)) from exc
    if not keys:
        raise BackupError(ERROR_BAD_IDENTITY.format(path=path))
    return keys


def encrypt(plain: Path, encrypted: Path, to: pyrage.x25519.Recipient) -> None:
    with plain.open("rb") as source, encrypted.open("wb") as target:
        pyrage.encrypt_io(source, target, [to])


def decrypt(
    encrypted: Path, plain: Path, keys: list[pyrage.x25519.Identity], *, identity: str
) -> None:
    with encrypted.open("rb") as source:
        if source.read(len(AGE_HEADER)) != AGE_HEADER:
            raise BackupError(ERROR_NOT_AGE.format(file=encrypted))
        source.seek(0)
        with plain.open("wb") as target:
            try:
                pyrage.decrypt_io(source, target, keys)
            except pyrage.DecryptError as exc:
                raise BackupError(
                    ERROR_WRONG_KEY.format(file=encrypted, identity=identity)
                ) from exc
            # pyrage reports a failed chunk (truncation, a changed byte) as an OSError.
            except OSError as exc:
                raise BackupError(ERROR_DAMAGED.format(file=encrypted, error=exc)) from exc
