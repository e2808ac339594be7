import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.models import Wave
from respondents.services.invitations import write_telegram_links


class Command(BaseCommand):
    help = (
        "Write a CSV (pseudonym, telegram, link, withdraw_link) of personal links for the "
        "wave's Telegram-only panelists, for the team to send; they are marked sent. "
        "The file holds live links and handles: keep it off shared drives, delete it after use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wave", type=int, required=True, help="wave ID")
        parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
        parser.add_argument(
            "--resend",
            action="store_true",
            help="include links already sent but not completed, with new links (the earlier "
            "links keep working)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if not out.parent.is_dir():
            raise CommandError(f"{out}: directory {out.parent} does not exist")
        wave = Wave.objects.filter(pk=options["wave"]).select_related("study").first()
        if wave is None:
            raise CommandError(f"wave {options['wave']} does not exist")
        try:
            # Owner-only from the first byte: the file holds live links and handles.
            descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise CommandError(f"{out}: {exc.strerror}") from None
        with open(descriptor, "w", newline="", encoding="utf-8") as handle:
            rows = write_telegram_links(wave, handle, resend=options["resend"])
        if options["json"]:
            self.stdout.write(json.dumps({"wave": wave.pk, "links": rows, "out": str(out)}))
        else:
            self.stdout.write(f"wave {wave.pk}: {rows} Telegram links written to {out}")
