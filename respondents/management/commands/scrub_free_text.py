import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections
from django.db.models import Max

from respondents.freetext.models import ScrubbedAnswer
from respondents.freetext.scrub import VERSION
from respondents.freetext.services import rescrub_stale
from respondents.models import Response
from surveys.models import Study

# Responses per round: each round commits, so an interrupted backfill keeps what it did.
ROUND = 2000
# Ids a round reads at most (see stale_response_ids' `through`).
WINDOW = 20_000


def fresh_statistics() -> None:
    """ANALYZE the responses and the stored scrubs (PostgreSQL). After a bulk import the
    planner may still hold the statistics of a far smaller table, and then each round's
    query reads and sorts a whole wave instead of walking the id index: at 3 x 10^6
    responses 4.5 s a round (about 1,500 rounds), 0.03-0.1 s once analysed."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Response, ScrubbedAnswer):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def backfill(study_id: int | None, share: tuple[int, int] | None = None) -> tuple[int, int]:
    """Scrub every stale response (of `share`), window of ids by window: (responses,
    answers). Responses that come later are scrubbed when they are completed."""
    responses = answers = last = 0
    top = _highest_id(study_id)
    while last < top:
        through = min(last + WINDOW, top)
        done = rescrub_stale(ROUND, study_id=study_id, after=last, share=share, through=through)
        responses += done.responses
        answers += done.answers
        # A full round may have left more in its window: the next starts above its last
        # id, so it never walks past what is done and cannot repeat a response.
        last = done.last_response if done.responses == ROUND else through
    return responses, answers


def _highest_id(study_id: int | None) -> int:
    responses = Response.objects.all()
    if study_id is not None:
        responses = responses.filter(wave__study_id=study_id)
    return int(responses.aggregate(top=Max("pk"))["top"] or 0)


def _backfill_share(study_id: int | None, share: tuple[int, int]) -> tuple[int, int]:
    try:
        return backfill(study_id, share)
    finally:
        connections.close_all()


def backfill_in_processes(study_id: int | None, jobs: int) -> tuple[int, int]:
    """The backfill split by response id over `jobs` processes: the scrubber is Python
    work, one core each. The processes are forked with no connection open, so each opens
    its own."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        done = list(pool.map(_backfill_share, [study_id] * jobs, [(k, jobs) for k in range(jobs)]))
    return sum(r for r, _ in done), sum(a for _, a in done)


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
        fresh_statistics()
        if jobs == 1:
            responses, answers = backfill(study_id)
        else:
            responses, answers = backfill_in_processes(study_id, jobs)
        summary = {"scrubber_version": VERSION, "responses": responses, "answers": answers}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"{answers} free-text answers in {responses} responses scrubbed "
            f"(scrubber version {VERSION})"
        )
