"""backup: one consistent, age-encrypted snapshot of the database, export files and keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.backups.errors import BackupError
from exports.backups.service import make_backup


class Command(BaseCommand):
    help = (
        "Write one encrypted backup (database, export files, keys, manifest) into --out, "
        "encrypted to PANELWAVE_BACKUP_RECIPIENT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="directory for the file")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = make_backup(options["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            payload = {"file": str(made.file), "bytes": made.bytes, "responses": made.responses}
            self.stdout.write(json.dumps(payload))
        else:
            self.stdout.write(f"{made.file}: {made.bytes} bytes, {made.responses} responses")
