from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.models import Wave
from respondents.services.linkage import REPORT_HEADER, linkage_report, run_linkage

ERROR_WAVE = "wave {wave} does not exist"
ERROR_REPORT = "cannot write the report to {path}: {reason}"


class Command(BaseCommand):
    help = (
        "Link the wave's open-link responses to people of earlier waves on stable items; "
        "candidates above the review floor wait for review in the workspace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wave", type=int, required=True, help="the wave's id")
        parser.add_argument(
            "--on", default="", help="comma-separated stable items (default: marked stable)"
        )
        parser.add_argument(
            "--accept-above",
            type=float,
            default=None,
            help="link every candidate at or above this probability without review",
        )
        parser.add_argument("--report", help="CSV: source_id,linked_source_id,probability,how")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        wave = Wave.objects.filter(pk=options["wave"]).first()
        if wave is None:
            raise CommandError(ERROR_WAVE.format(wave=options["wave"]))
        items = [name.strip() for name in options["on"].split(",") if name.strip()]
        try:
            run = run_linkage(wave, on=items or None, accept_above=options["accept_above"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        if options["report"]:
            self._write_report(Path(options["report"]), wave)
        summary = {
            "wave": wave.pk,
            "items": list(run.items),
            "compared": run.compared,
            "earlier_people": run.earlier_people,
            "candidates": run.candidates,
            "linked": run.linked,
            "returner_share": run.model.returner_share if run.model else None,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"wave {wave.pk}: {run.compared} responses compared with {run.earlier_people} "
                f"earlier people on {', '.join(run.items)}; {run.candidates} candidates, "
                f"{run.linked} linked"
            )

    def _write_report(self, path: Path, wave: Wave) -> None:
        try:
            with path.open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(REPORT_HEADER)
                writer.writerows(linkage_report(wave))
        except OSError as error:
            raise CommandError(ERROR_REPORT.format(path=path, reason=error.strerror)) from None
