"""Copying an export's files into a directory the caller names (`export_data --out`).

The directory may be shared or prepared by someone else: a symbolic link already standing
where a file is to go would send the dataset wherever it points, so it is refused rather
than followed. Each file is written under a temporary name in the same directory and
renamed over its final name, so a reader never sees half a file and a failure leaves the
previous file, if any, in place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

ERROR_SYMLINK = "--out {path} is a symbolic link; refusing to write through it"
ERROR_NOT_FILE = "--out {path} exists and is not a regular file"


class OutputRefusedError(Exception):
    pass


def _check_target(target: Path) -> None:
    if target.is_symlink():
        raise OutputRefusedError(ERROR_SYMLINK.format(path=target))
    if target.exists() and not target.is_file():
        raise OutputRefusedError(ERROR_NOT_FILE.format(path=target))


def copy_atomically(source: Path, target: Path) -> None:
    _check_target(target)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as written, source.open("rb") as read:
            shutil.copyfileobj(read, written, length=1024 * 1024)
            written.flush()
            os.fsync(written.fileno())
        # Checked again just before the rename: a link planted meanwhile is still refused
        # (os.replace would replace the link itself, never write where it points).
        _check_target(target)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def copy_files(sources: Iterable[Path], out: Path) -> list[str]:
    """Copy each source into `out` under its own name; every target is checked first, so a
    refusal writes nothing."""
    sources = list(sources)
    if out.is_symlink():
        raise OutputRefusedError(ERROR_SYMLINK.format(path=out))
    out.mkdir(parents=True, exist_ok=True)
    for source in sources:
        _check_target(out / source.name)
    for source in sources:
        copy_atomically(source, out / source.name)
    return [source.name for source in sources]
