import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.models import Wave
from respondents.services.import_responses import ImportFileError, import_responses


class Command(BaseCommand):
    help = (
        "Load responses collected elsewhere (CSV, UTF-8, header row; see docs/design.md) into a "
        "wave. Each row is checked against the wave's questionnaire version; bad rows are "
        "rejected with their row number and reason while good rows load."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wave", type=int, help="wave ID")
        parser.add_argument("path", type=Path, help="CSV file")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        wave = Wave.objects.filter(pk=options["wave"]).select_related("version").first()
        if wave is None:
            raise CommandError(f"wave {options['wave']} does not exist")
        try:
            result = import_responses(wave, options["path"])
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "wave": wave.pk,
                        "imported": result.imported,
                        "rejected": result.rejected,
                        "members_created": result.members_created,
                        "errors": [asdict(error) for error in result.errors],
                        "notes": list(result.notes),
                    },
                    ensure_ascii=False,
                )
            )
            return
        self.stdout.write(f"wave {wave.pk}: {result.imported} imported, {result.rejected} rejected")
        for error in result.errors:
            self.stdout.write(f"  row {error.row}: {error.reason}")
        for note in result.notes:
            self.stdout.write(f"  note: {note}")
