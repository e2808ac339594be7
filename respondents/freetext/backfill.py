"""The scrub backfill: every free-text answer without a current scrub, scrubbed and stored
at once (after an upgrade of the scrubber, or an import whose tasks did not run), in rounds
of ids that each commit, in one process or several. Entry point: `backfill_scrubs` (the
`scrub_free_text` command)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from django.db import connection, connections
from django.db.models import Max, Model

from respondents.freetext.models import ScrubbedAnswer
from respondents.freetext.services import rescrub_stale
from respondents.models import Response

# Responses per round: each round commits, so an interrupted backfill keeps what it did.
ROUND = 2000
# Ids a round reads at most (see stale_response_ids' `through`).
WINDOW = 20_000
# The stored scrubs are analysed again once a process has stored this many answers, then
# ten times as many, and so on: a backfill that starts on an empty table left PostgreSQL
# believing it empty (reltuples 0), and each round's look-up of what is already stored
# became a parallel scan of the whole growing table (seconds a round, 430 answers a second
# at 3 x 10^6 responses instead of 10,000). Once analysed with rows in it, the planner
# scales its figures to the table's current size, so a few ANALYZEs are enough.
ANALYSE_AFTER = 10_000


def fresh_statistics() -> None:
    """ANALYZE the responses and the stored scrubs (PostgreSQL). After a bulk import the
    planner may still hold the statistics of a far smaller table, and then each round's
    query reads and sorts a whole wave instead of walking the id index: at 3 x 10^6
    responses 4.5 s a round (about 1,500 rounds), 0.03-0.1 s once analysed."""
    _analyse(Response, ScrubbedAnswer)


def _analyse(*models: type[Model]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def backfill(study_id: int | None, share: tuple[int, int] | None = None) -> tuple[int, int]:
    """Scrub every stale response (of `share`), window of ids by window: (responses,
    answers). Responses that come later are scrubbed when they are completed."""
    responses = answers = last = 0
    analyse_at = ANALYSE_AFTER
    top = _highest_id(study_id)
    while last < top:
        through = min(last + WINDOW, top)
        done = rescrub_stale(ROUND, study_id=study_id, after=last, share=share, through=through)
        responses += done.responses
        answers += done.answers
        if answers >= analyse_at:
            _analyse(ScrubbedAnswer)
            analyse_at = answers * 10
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


def backfill_scrubs(study_id: int | None, jobs: int = 1) -> tuple[int, int]:
    """Scrub every stale response (of one study, or all) in `jobs` processes: (responses,
    answers)."""
    fresh_statistics()
    if jobs == 1:
        return backfill(study_id)
    return backfill_in_processes(study_id, jobs)
