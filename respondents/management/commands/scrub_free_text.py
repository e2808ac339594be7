import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.freetext.scrub import VERSION
from respondents.freetext.services import rescrub_stale
from surveys.models import Study

# Responses per round: each round commits, so an interrupted backfill keeps what it did.
ROUND = 2000


class Command(BaseCommand):
    help = (
        "Scrub the free-text answers that have no stored scrub, or one from an older "
        "scrubber version (backfill after an upgrade); exports then read the stored text."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--study", help="only this study's responses (slug)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        study_id = None
        if options["study"]:
            study_id = (
                Study.objects.filter(slug=options["study"]).values_list("pk", flat=True).first()
            )
            if study_id is None:
                raise CommandError(f"no study with slug {options['study']!r}")
        responses = answers = last = 0
        while True:
            # Each round starts above the last one's highest id: it never walks past what
            # is done, and a response whose answers need nothing cannot hold the loop.
            done = rescrub_stale(ROUND, study_id=study_id, after=last)
            responses += done.responses
            answers += done.answers
            last = done.last_response
            if done.responses < ROUND:
                break
        summary = {"scrubber_version": VERSION, "responses": responses, "answers": answers}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"{answers} free-text answers in {responses} responses scrubbed "
            f"(scrubber version {VERSION})"
        )
