import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.cleaning.service import CleaningError, clean_wave, current_flags
from surveys.csvcells import escape_formula

REPORT_HEADER = ("source_id", "rule", "score", "detail")


class Command(BaseCommand):
    help = (
        "Run the response-quality rules over a wave (speeders, straightliners, duplicates, "
        "attention checks, breakoffs, bots); its flags replace the wave's previous ones."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wave", type=int, help="wave ID")
        parser.add_argument(
            "--report", type=Path, help="write a CSV, one row per flag: source_id,rule,score,detail"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        report: Path | None = options["report"]
        if report is not None and not report.parent.is_dir():
            raise CommandError(f"{report}: directory {report.parent} does not exist")
        if report is not None and report.is_dir():
            raise CommandError(f"{report}: is a directory, not a file")
        # The service runs in-process, as the clean_wave task does, so the report below
        # reads the flags this run wrote.
        try:
            run = clean_wave(options["wave"])
        except CleaningError as exc:
            raise CommandError(str(exc)) from exc
        if report is not None:
            try:
                handle = report.open("w", newline="", encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"{report}: {exc.strerror}") from None
            with handle:
                writer = csv.writer(handle)
                writer.writerow(REPORT_HEADER)
                for source_id, rule, score, detail in current_flags(run.wave_id):
                    score_text = "" if score is None else f"{score:.4g}"
                    writer.writerow(
                        (escape_formula(source_id), rule, score_text, escape_formula(detail))
                    )
        summary = {
            "wave": run.wave_id,
            "run": run.pk,
            "responses": run.counts["responses"],
            "flagged": run.counts["flagged_responses"],
            "flags": run.counts["rules"],
            "overridden": run.counts["overridden"],
            # A run overtaken by one that started later writes no flags (respondents/cleaning/runner.py).
            "superseded_by": run.counts.get("superseded_by"),
            "notes": run.notes,
            "report": str(report) if report else None,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        if summary["superseded_by"] is not None:
            self.stdout.write(f"wave {run.wave_id}: {run.notes[0]}")
            return
        self.stdout.write(
            f"wave {run.wave_id}: {summary['flagged']} of {summary['responses']} responses flagged"
        )
        for rule, count in sorted(run.counts["rules"].items()):
            self.stdout.write(f"  {rule}: {count}")
