"""Scrub once: every free-text answer is scrubbed when its response is completed or
imported, stored beside the answer, and read back by exports (which never scrub unless an
answer has no current scrub yet, see `released_texts`).

Entry points: `scrub_responses` (the on-commit task), `rescrub_stale` (the beat sweep and
the backfill command), `released_texts` (exports).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Min, Q, QuerySet, TextField
from django.db.models.functions import Cast, Mod
from django.utils import timezone

from config.anyof import AnyOf
from respondents.freetext.decisions import active_decisions, apply_decisions
from respondents.freetext.models import FreeTextSettings, ScrubbedAnswer
from respondents.freetext.scrub import (
    MEASURED_RECALL,
    VERSION,
    WITHHELD,
    ScrubResult,
    clean,
    scrub,
)
from respondents.freetext.scrub.spans import Span
from respondents.models import Response, ResponseStatus, Wave
from surveys.freetext_keys import free_text_keys_of
from surveys.models import Question
from surveys.repeats import instance_answers

# Responses scrubbed per database round trip.
BATCH = 200
# Statuses whose answers can be exported (in-progress ones are still being typed).
SCRUBBED_STATUSES = (ResponseStatus.COMPLETED, ResponseStatus.ABANDONED)


def scrubber_version() -> int:
    """The version a stored scrub must have to be released (this module's VERSION)."""
    return VERSION


def free_text_keys(version_id: int) -> list[str]:
    """The answer keys of a questionnaire version that hold free text
    (surveys/freetext_keys.py)."""
    return free_text_keys_of(
        Question.objects.filter(version_id=version_id)
        .order_by("position")
        .only("name", "type", "privacy", "other_choice")
    )


def text_answers(answers: Mapping[str, object], keys: Sequence[str]) -> list[tuple[str, object]]:
    """(key, answer) for the free-text keys answered: an item's own key, or for an item
    inside a roster (an XLSForm repeat) one key per entry (`item#2`, surveys/repeats.py)."""
    wanted = set(keys)
    found = [(key, answers[key]) for key in keys if answers.get(key) is not None]
    for key, value in instance_answers(answers).items():
        if value is not None and (key in wanted or key.rsplit("#", 1)[0] in wanted):
            found.append((key, value))
    return found


def answer_text(value: object) -> str:
    """An answer as exports release it (exports/columns.py `text`)."""
    if value is None or value == "" or value == []:
        return ""
    return str(value).strip()


def digest(text: str) -> str:
    """Which text a scrub or a decision was made on. Unkeyed on purpose: the answer itself
    sits beside it in the same database, so a key would hide nothing, and a rotated key
    would drop every reviewer's decisions."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def study_figures(study_id: int) -> list[str]:
    extra = (
        FreeTextSettings.objects.filter(study_id=study_id)
        .values_list("extra_figures", flat=True)
        .first()
    )
    return [str(f).lower() for f in extra or []]


@dataclass(frozen=True)
class ScrubCount:
    responses: int
    answers: int
    # The highest response id handled (0 for none): where a backfill's next round starts.
    last_response: int = 0


def scrub_responses(response_ids: Iterable[int]) -> ScrubCount:
    """Scrub and store every free-text answer of these responses that has no current scrub
    (none yet, an older scrubber version, or an answer changed since). Safe to run twice."""
    ids = sorted(set(response_ids))
    answers = 0
    for start in range(0, len(ids), BATCH):
        answers += _scrub_batch(ids[start : start + BATCH])
    return ScrubCount(responses=len(ids), answers=answers, last_response=ids[-1] if ids else 0)


def _scrub_batch(ids: Sequence[int]) -> int:
    rows = list(
        Response.objects.filter(AnyOf(F("pk"), ids), status__in=SCRUBBED_STATUSES).values_list(
            "pk", "wave__version_id", "wave__study_id", "answers"
        )
    )
    keys_of: dict[int, list[str]] = {}
    figures_of: dict[int, list[str]] = {}
    current = {
        (r, k): (v, d)
        for r, k, v, d in ScrubbedAnswer.objects.filter(AnyOf(F("response_id"), ids)).values_list(
            "response_id", "key", "version", "digest"
        )
    }
    now = timezone.now()
    todo: list[ScrubbedAnswer] = []
    raw_of = {pk: raw for pk, _v, _s, raw in rows}
    for pk, version_id, study_id, raw in rows:
        if version_id not in keys_of:
            keys_of[version_id] = free_text_keys(version_id)
        if study_id not in figures_of:
            figures_of[study_id] = study_figures(study_id)
        for key, value in text_answers(raw or {}, keys_of[version_id]):
            # A blank answer is stored too (as blank), so the sweep does not pick it again.
            text = answer_text(value)
            hashed = digest(text)
            if current.get((pk, key)) == (VERSION, hashed):
                continue
            todo.append(_stored(pk, key, scrub(text, figures_of[study_id]), hashed, now))
    decided = active_decisions((s.response_id, s.key) for s in todo)
    for stored in todo:
        decisions = [
            (d.action, d.start, d.end)
            for d in decided.get((stored.response_id, stored.key), [])
            if d.digest == stored.digest
        ]
        if decisions and not stored.refused:
            answers = dict(text_answers(raw_of[stored.response_id] or {}, [stored.key]))
            source = clean(answer_text(answers.get(stored.key)))[0]
            spans = [Span(s, e, k) for s, e, k in stored.spans]
            stored.text, stored.found = apply_decisions(source, spans, decisions)
    if todo:
        with transaction.atomic():
            ScrubbedAnswer.objects.bulk_create(
                todo,
                update_conflicts=True,
                unique_fields=["response", "key"],
                update_fields=[
                    "text",
                    "found",
                    "spans",
                    "version",
                    "digest",
                    "refused",
                    "scrubbed_at",
                ],
            )
    return len(todo)


def _stored(
    response_id: int, key: str, result: ScrubResult, hashed: str, now: datetime
) -> ScrubbedAnswer:
    return ScrubbedAnswer(
        response_id=response_id,
        key=key,
        text=result.text,
        found=result.found,
        spans=[[s.start, s.end, s.kind] for s in result.spans],
        version=VERSION,
        digest=hashed,
        refused=result.refused,
        scrubbed_at=now,
    )


def stale_response_ids(
    limit: int,
    *,
    study_id: int | None = None,
    after: int = 0,
    share: tuple[int, int] | None = None,
    through: int | None = None,
) -> list[int]:
    """Completed or abandoned responses with a scrub from an older scrubber version or with
    free-text answers never scrubbed: the `limit` lowest ids above `after` (and up to
    `through`). A backfill passes the last id it handled, so each round starts where the
    last ended; from the start every round would walk past all the responses scrubbed
    before it, which made a backfill's time grow with the square of the responses.
    `share` (k, n): only the ids that leave k when divided by n, so n processes can each
    take their own share. `through` bounds the ids a round reads: without it, PostgreSQL
    (which cannot estimate how many documents hold a free-text key) read the whole table
    in each round once it was large (5 s a round at 3 x 10^6 responses)."""
    responses = Response.objects.filter(status__in=SCRUBBED_STATUSES, pk__gt=after)
    if through is not None:
        responses = responses.filter(pk__lte=through)
    if study_id is not None:
        responses = responses.filter(wave__study_id=study_id)
    if share is not None:
        part, parts = share
        responses = responses.alias(share=Mod("pk", parts)).filter(share=part)
    old: list[int] = []
    if _older_versions_stored():
        old = list(
            responses.filter(scrubbed_answers__version__lt=VERSION)
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()[:limit]
        )
    # The versions come from the waves: asking the responses for them read every
    # response above `after` in every round (1-1.5 s a round at 3 x 10^6 responses).
    waves = Wave.objects.all() if study_id is None else Wave.objects.filter(study_id=study_id)
    versions = sorted(set(waves.values_list("version_id", flat=True)))
    # Each list holds its own lowest ids, so the lowest of both together are these.
    return sorted({*old, *_never_scrubbed(responses, limit, versions)})[:limit]


def _older_versions_stored() -> bool:
    """Whether any stored scrub is from an older scrubber version. MIN is read off the
    version index whatever the planner believes; the join above, asked while none is
    older and the statistics are stale, read every stored scrub in every round (3 s a
    round at 3 x 10^6 scrubs)."""
    oldest = ScrubbedAnswer.objects.aggregate(oldest=Min("version"))["oldest"]
    return oldest is not None and oldest < VERSION


def _never_scrubbed(
    responses: QuerySet[Response], limit: int, versions: Sequence[int]
) -> list[int]:
    """The lowest `limit` ids of responses with a non-empty free-text answer and no scrub
    at all, over the questionnaire versions `versions`."""
    found: list[int] = []
    for version_id in versions:
        keys = free_text_keys(version_id)
        if not keys:
            continue
        has_text = Q()
        for key in keys:
            has_text |= Q(answers__has_key=key) & ~Q(**{f"answers__{key}": ""})
        found.extend(
            responses.filter(has_text, wave__version_id=version_id)
            .exclude(scrubbed_answers__isnull=False)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
    return sorted(found)[:limit]


def rescrub_stale(
    limit: int = 5000,
    *,
    study_id: int | None = None,
    after: int = 0,
    share: tuple[int, int] | None = None,
    through: int | None = None,
) -> ScrubCount:
    """Scrub up to `limit` responses above id `after` whose scrubs are missing or from an
    older version (of `share`, up to `through`: see `stale_response_ids`)."""
    return scrub_responses(
        stale_response_ids(limit, study_id=study_id, after=after, share=share, through=through)
    )


@dataclass(frozen=True)
class Released:
    # Response id -> the text to release.
    texts: dict[int, str]
    # Kind -> count, over the texts released.
    found: Counter[str]
    # How many answers had to be scrubbed now (no current scrub was stored).
    scrubbed_now: int


def released_texts(
    key: str, raw: dict[int, str], stored: dict[int, tuple[str, Any, int, str]] | None = None
) -> Released:
    """The stored scrubs of answer `key` for the responses in `raw` (response id -> the
    answer as exports read it). An answer without a current scrub is scrubbed and stored
    now, so nothing unscrubbed is ever released; an answer the study withholds is released
    as WITHHELD. `stored`: the scrubs already read with the answers (response id -> text,
    counts by kind, version, digest; exports/flatten.py), else they are read here."""
    ids = [pk for pk, text in raw.items() if text]
    hashed = {pk: digest(raw[pk]) for pk in ids}
    stored = stored_scrubs(ids, key) if stored is None else dict(stored)
    missing = [
        pk
        for pk in ids
        if pk not in stored or stored[pk][2] != VERSION or stored[pk][3] != hashed[pk]
    ]
    scrubbed_now = 0
    if missing:
        scrubbed_now = scrub_now(missing)
        stored.update(stored_scrubs(missing, key))
    texts: dict[int, str] = {}
    # Counts by kind are shared objects per distinct value (stored_scrubs): count how often
    # each is released, then add each once, weighted.
    released: Counter[int] = Counter()
    counts_of: dict[int, Any] = {}
    for pk in ids:
        entry = stored.get(pk)
        if entry is None or entry[3] != hashed[pk]:
            # Still no scrub of this very text (the answer is not a free-text item of its
            # version, or it changed meanwhile): never release it raw.
            texts[pk] = WITHHELD
            continue
        texts[pk] = entry[0]
        released[id(entry[1])] += 1
        counts_of[id(entry[1])] = entry[1]
    found: Counter[str] = Counter()
    for ref, times in released.items():
        found.update({kind: int(n) * times for kind, n in counts_of[ref].items()})
    return Released(texts=texts, found=found, scrubbed_now=scrubbed_now)


def stored_scrubs(ids: Sequence[int], key: str) -> dict[int, tuple[str, Any, int, str]]:
    """Response id -> (text, counts by kind, version, digest) of the stored scrubs. The
    counts are read as text and decoded once per distinct value (most are "{}"): an export
    reads tens of thousands of these per batch."""
    rows = (
        ScrubbedAnswer.objects.filter(AnyOf(F("response_id"), ids), key=key)
        .annotate(found_text=Cast("found", TextField()))
        .values_list("response_id", "text", "found_text", "version", "digest")
    )
    decoded: dict[str, Any] = {}
    stored = {}
    for response_id, text, found, version, hashed in rows:
        if found not in decoded:
            decoded[found] = json.loads(found)
        stored[response_id] = (text, decoded[found], version, hashed)
    return stored


def scrub_now(ids: Sequence[int]) -> int:
    """Scrub and store these responses' answers that have no current scrub, in batches."""
    return sum(_scrub_batch(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH))


def set_withheld(study_id: int, key: str, withheld: bool) -> None:
    """Withhold a free-text question from every export of the study, or release it again."""
    with transaction.atomic():
        settings_row, _ = FreeTextSettings.objects.select_for_update().get_or_create(
            study_id=study_id
        )
        keys = [str(k) for k in settings_row.withheld_keys if str(k) != key]
        if withheld:
            keys.append(key)
        settings_row.withheld_keys = sorted(keys)
        settings_row.save(update_fields=["withheld_keys"])


def release_report(by_variable: dict[str, Counter[str]], withheld: set[str]) -> dict[str, object]:
    """The disclosure report's (and so the codebook's) free-text section: per variable what
    was replaced, the scrubber's version and its recall measured on our labelled corpus."""
    variables: dict[str, dict[str, object]] = {}
    for name, counts in sorted(by_variable.items()):
        variables[name] = (
            {"withheld": True} if name in withheld else {"replaced": dict(sorted(counts.items()))}
        )
    for name in sorted(withheld - set(by_variable)):
        variables[name] = {"withheld": True}
    return {"scrubber_version": VERSION, "measured_recall": MEASURED_RECALL, "variables": variables}


def withheld_keys(study_id: int) -> set[str]:
    keys = (
        FreeTextSettings.objects.filter(study_id=study_id)
        .values_list("withheld_keys", flat=True)
        .first()
    )
    return {str(k) for k in keys or []}
