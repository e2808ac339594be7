"""The cleaning runner: load a wave (respondents/cleaning/loading.py), apply
respondents/quality, write QualityFlags.

Writing: a run's flags are inserted in batches of WRITE_BATCH rows with one COPY each on
PostgreSQL (one executemany elsewhere), and the flags of the wave's previous runs are
deleted in the same transaction, so the wave always has exactly one current set of flags:
those of its latest finished run.
Older CleaningRun rows stay as the record of what ran with which settings. A failed run
writes no flags and leaves the previous ones current. A run that finds, when it comes to
write, that a run which started after it has already finished writes nothing (its data
is older) and is recorded as failed with a note naming the newer run.

Overrides: a FlagOverride on (response, rule) means later runs do not raise that flag
again; what it covers is `override_covers` (respondents/quality/rules.py): the rule, a
whole family ("duplicate"), or for an answer duplicate its relabels. The run counts what
was suppressed under counts["overridden"].
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Q
from django.utils import timezone

from respondents.cleaning.loading import load_wave_frame
from respondents.models import (
    CleaningRun,
    CleaningRunStatus,
    FlagOverride,
    QualityFlag,
    Wave,
)
from respondents.quality.config import CleaningConfig
from respondents.quality.frame import (
    IntArray,
    WaveFrame,
)
from respondents.quality.rules import QualityReport, override_covers, run_rules

# Flags per COPY (or executemany): bounds the tuples held at once.
WRITE_BATCH = 10_000
SUPERSEDED = (
    "superseded: run {newer}, which started after this one, finished first; "
    "this run's flags were not written and run {newer}'s stay current"
)


def run_cleaning(wave: Wave, config: CleaningConfig) -> CleaningRun:
    """Run every rule over the wave and make the result its current set of flags."""
    run = CleaningRun.objects.create(wave=wave, config=config.as_dict(), started_at=timezone.now())
    try:
        started = time.perf_counter()
        frame = load_wave_frame(wave, config=config, now=run.started_at)
        loaded = time.perf_counter() - started
        report = run_rules(frame, config)
        _record(run, frame, report, loaded)
    except BaseException:
        CleaningRun.objects.filter(pk=run.pk).update(
            status=CleaningRunStatus.FAILED, finished_at=timezone.now()
        )
        raise
    return run


def _record(run: CleaningRun, frame: WaveFrame, report: QualityReport, loaded: float) -> None:
    started = time.perf_counter()
    with transaction.atomic():
        # One writer per wave at a time: a beat run and an on-demand run cannot interleave
        # their deletes and inserts, and the check for a newer run below sees every run
        # that finished before this one took the lock.
        Wave.objects.select_for_update().filter(pk=run.wave_id).first()
        run.finished_at = timezone.now()
        newer = _newer_finished_run(run)
        if newer is not None:
            run.status = CleaningRunStatus.FAILED
            run.counts = {
                "responses": frame.size,
                "flagged_responses": 0,
                "rules": {},
                "overridden": {},
                "superseded_by": newer,
            }
            run.notes = [SUPERSEDED.format(newer=newer), *report.notes]
        else:
            written, suppressed, flagged = _write_flags(run, frame, report)
            QualityFlag.objects.filter(
                run_id__in=CleaningRun.objects.filter(wave_id=run.wave_id)
                .exclude(pk=run.pk)
                .values("pk")
            ).delete()
            run.status = CleaningRunStatus.FINISHED
            run.counts = {
                "responses": frame.size,
                "flagged_responses": flagged,
                "rules": written,
                "overridden": suppressed,
            }
            run.notes = list(report.notes)
        run.timings = {
            "load": round(loaded, 4),
            **report.timings,
            "write": round(time.perf_counter() - started, 4),
        }
        run.save(update_fields=["status", "finished_at", "timings", "counts", "notes"])


def _newer_finished_run(run: CleaningRun) -> int | None:
    """A finished run of the same wave that started after this one, if any."""
    return (
        CleaningRun.objects.filter(wave_id=run.wave_id, status=CleaningRunStatus.FINISHED)
        .filter(Q(started_at__gt=run.started_at) | Q(started_at=run.started_at, pk__gt=run.pk))
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )


def _write_flags(
    run: CleaningRun, frame: WaveFrame, report: QualityReport
) -> tuple[dict[str, int], dict[str, int], int]:
    overrides = list(
        FlagOverride.objects.active()
        .filter(response__wave_id=run.wave_id)
        .values_list("response_id", "rule")
    )
    written: dict[str, int] = {}
    suppressed: dict[str, int] = {}
    flagged: list[IntArray] = []
    batch: list[tuple[int, int, str, float | None, str]] = []
    table = QualityFlag._meta.db_table
    column_of = {field.name: field.column for field in QualityFlag._meta.concrete_fields}
    columns = ", ".join(
        connection.ops.quote_name(column_of[name])
        for name in ("response", "run", "rule", "score", "detail")
    )
    # Plain tuples: building a model instance per flag (bulk_create) costs more than the
    # INSERT itself. QualityFlag has no signals and no save() logic to skip.
    target = f"{connection.ops.quote_name(table)} ({columns})"
    with connection.cursor() as cursor:
        for rule_flags in report.flags:
            ids = frame.response_ids[rule_flags.rows]
            covering = [rid for rid, rule in overrides if override_covers(rule, rule_flags.rule)]
            kept = ~np.isin(ids, np.asarray(covering, dtype=np.int64))
            if (~kept).any():
                suppressed[rule_flags.rule] = int((~kept).sum())
            written[rule_flags.rule] = int(kept.sum())
            flagged.append(ids[kept])
            scores = rule_flags.scores[kept].astype(object)
            scores[np.isnan(rule_flags.scores[kept])] = None
            details = np.asarray(rule_flags.details, dtype=object)[kept] if kept.size else ()
            batch.extend(
                zip(
                    ids[kept].tolist(),
                    itertools.repeat(run.pk),
                    itertools.repeat(rule_flags.rule),
                    scores.tolist(),
                    details,
                    strict=False,
                )
            )
            while len(batch) >= WRITE_BATCH:
                _insert_rows(cursor, target, batch[:WRITE_BATCH])
                del batch[:WRITE_BATCH]
        if batch:
            _insert_rows(cursor, target, batch)
    distinct = np.unique(np.concatenate(flagged)) if flagged else np.zeros(0)
    return written, suppressed, int(distinct.size)


def _insert_rows(cursor: CursorWrapper, target: str, rows: list[tuple[Any, ...]]) -> None:
    """`rows` into `target` ("table (columns)", quoted): one COPY on PostgreSQL, which took
    a third of the time of executemany's INSERTs for the 23,000 flags of bench/cleaning.py."""
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(rows[0]))
    cursor.executemany(f"INSERT INTO {target} VALUES ({placeholders})", rows)  # noqa: S608 (names from the model, values as parameters)


# Loading -----------------------------------------------------------------------------------
