import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.freetext.backfill import backfill_scrubs
from respondents.freetext.scrub import VERSION
from surveys.models import Study


class Command(BaseCommand):
    help = (
        "Scrub the free-text answers that have no stored scrub, or one from an older "
        "scrubber version (backfill after an upgrade); exports then read the stored text."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--study", help="only this study's responses (slug)")
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="processes to scrub in, each on its own share of the responses (default 1)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = options["jobs"]
        if jobs < 1:
            raise CommandError(f"--jobs must be 1 or more, not {jobs}")
        study_id = None
        if options["study"]:
            study_id = (
                Study.objects.filter(slug=options["study"]).values_list("pk", flat=True).first()
            )
            if study_id is None:
                raise CommandError(f"no study with slug {options['study']!r}")
        responses, answers = backfill_scrubs(study_id, jobs)
        summary = {"scrubber_version": VERSION, "responses": responses, "answers": answers}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"{answers} free-text answers in {responses} responses scrubbed "
            f"(scrubber version {VERSION})"
        )
