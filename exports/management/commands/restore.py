"""restore: a backup into an empty database and media directory, or nothing at all."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.backups.database import Database
from exports.backups.errors import BackupError
from exports.backups.service import restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database (the configured one, or --database-url) "
        "with the age identity file named by PANELWAVE_BACKUP_IDENTITY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .tar.age backup")
        parser.add_argument("--database-url", default="", help="an empty database to fill")
        parser.add_argument("--media-dir", type=Path, default=None, help="for the export files")
        parser.add_argument(
            "--keys-out",
            type=Path,
            default=None,
            help="where to write the backup's keys if they differ from this server's",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            target = (
                Database.from_settings(dict(dj_database_url.parse(options["database_url"])))
                if options["database_url"]
                else None
            )
            restored = restore_backup(
                options["file"],
                target=target,
                media_dir=options["media_dir"],
                keys_out=options["keys_out"],
            )
        except (BackupError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        payload = {**asdict(restored), "file": str(restored.file)}
        if options["json"]:
            self.stdout.write(json.dumps(payload))
        else:
            self.stdout.write(
                f"restored {restored.file}: {restored.responses} responses, "
                f"{restored.rows} rows in {restored.tables} tables, {restored.files} export files; "
                f"keys: {restored.keys}"
            )
