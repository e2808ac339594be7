from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.services.margins import set_margins
from surveys.models import Study

ERROR_STUDY = "study {slug!r} does not exist"
ERROR_FILE = "cannot read {path}: {reason}"
# A margins file is a few hundred rows at most; anything larger is not one.
MAX_BYTES = 1_000_000
ERROR_SIZE = "{path} is larger than {limit} bytes; a margins file is a few rows"


class Command(BaseCommand):
    help = "Set the population margins (CSV item,value,share) combined exports are raked to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--study", required=True, help="the study's slug")
        parser.add_argument("--file", required=True, help="CSV with the header item,value,share")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        study = Study.objects.filter(slug=options["study"]).first()
        if study is None:
            raise CommandError(ERROR_STUDY.format(slug=options["study"]))
        path = Path(options["file"])
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(ERROR_SIZE.format(path=path, limit=MAX_BYTES))
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(ERROR_FILE.format(path=path, reason=error.strerror)) from None
        try:
            stored = set_margins(study, content)
        except ValidationError as error:
            raise CommandError(f"{path}: {'; '.join(error.messages)}") from None
        summary = {"study": study.slug, "items": sorted(stored.margins)}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(f"margins set for {study.slug}: {', '.join(summary['items'])}")
