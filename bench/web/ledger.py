"""Answers sent versus answers stored, counted in the database after the load.

The bench wave is the test form (tests/respondents/form_helpers.py): pages about, children
(shown: the posted answers say there are children), trust and views, every respondent
posting GOOD_PAGES. So the state of every stored response is known exactly from the page it
is on: the answers of the pages before it and nothing else, `nav.step` = pages entered, and
completed exactly when it is on the end page. Anything else is a half-written answer set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict

from bench.web.client import RespondentLog

PAGE_ORDER = ("about", "children", "trust", "views")
END_PAGE = "end"
CHUNK = 1000


class Ledger(TypedDict):
    respondents: int
    completed: int
    answers_sent: int
    answers_stored: int
    answers_lost: int
    responses_missing: int
    responses_inconsistent: int
    responses_unknown_to_client: int


def _expected_before(position: int, pages: Mapping[str, Mapping[str, Sequence[str]]]) -> set[str]:
    return {name for page in PAGE_ORDER[:position] for name in pages[page]}


def _is_consistent(
    row: Mapping[str, Any], pages: Mapping[str, Any], expected: Mapping[str, Any]
) -> bool:
    page = row["current_page"]
    position = (
        len(PAGE_ORDER)
        if page == END_PAGE
        else PAGE_ORDER.index(page)
        if page in PAGE_ORDER
        else -1
    )
    if position < 0:
        return False
    answers = row["answers"]
    names = _expected_before(position, pages)
    step = int(row["paradata"].get("nav", {}).get("step", -1))
    return (
        set(answers) == names
        and all(answers[name] == expected[name] for name in names)
        and step == position + 1
        and (row["status"] == "completed") == (position == len(PAGE_ORDER))
    )


def count_answers(wave_id: int, logs: Iterable[RespondentLog]) -> Ledger:
    """Compare what the server acknowledged to each respondent with what it stored."""
    from respondents.models import Response
    from tests.respondents.form_helpers import EXPECTED_ANSWERS, GOOD_PAGES

    by_hash = {hashlib.sha256(log.token.encode()).hexdigest(): log for log in logs}
    hashes = list(by_hash)
    rows: dict[str, dict[str, Any]] = {}
    for start in range(0, len(hashes), CHUNK):
        query = Response.objects.filter(resume_token_hash__in=hashes[start : start + CHUNK])
        for found in query.values(
            "resume_token_hash", "answers", "paradata", "current_page", "status"
        ):
            rows[str(found["resume_token_hash"])] = dict(found)
    sent = lost = missing = 0
    for token_hash, log in by_hash.items():
        acked = {name for page in set(log.acked) for name in GOOD_PAGES[page]}
        sent += len(acked)
        row = rows.get(token_hash)
        if row is None:
            missing += 1
            lost += len(acked)
            continue
        stored = row["answers"]
        lost += sum(1 for name in acked if stored.get(name) != EXPECTED_ANSWERS[name])
    in_wave = Response.objects.filter(wave_id=wave_id)
    everything = list(in_wave.values("answers", "paradata", "current_page", "status"))
    return {
        "respondents": len(by_hash),
        "completed": sum(1 for row in everything if row["status"] == "completed"),
        "answers_sent": sent,
        "answers_stored": sum(len(row["answers"]) for row in rows.values()),
        "answers_lost": lost,
        "responses_missing": missing,
        "responses_inconsistent": sum(
            1 for row in everything if not _is_consistent(row, GOOD_PAGES, EXPECTED_ANSWERS)
        ),
        "responses_unknown_to_client": len(everything) - len(rows),
    }
