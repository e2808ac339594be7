"""verify_backup: restore into a scratch database and compare with the manifest."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.backups.errors import BackupError
from exports.backups.service import verify_backup


class Command(BaseCommand):
    help = (
        "Decrypt a backup, check every file's checksum, restore it into a scratch database "
        "and compare each table's row count with the manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .tar.age backup")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            verified = verify_backup(options["file"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({**asdict(verified), "file": str(verified.file)}))
        else:
            self.stdout.write(
                f"{verified.file} is sound: made {verified.created_at}, {verified.responses} "
                f"responses, {verified.rows} rows in {verified.tables} tables, "
                f"{verified.files} export files"
            )
