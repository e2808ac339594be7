"""The cleaning runner: load a wave as arrays, apply respondents/quality, write QualityFlags.

Loading: one query reads every response with each item and page time extracted by the
database (JSON key transforms), in chunks, into column arrays; there is no Python loop per
response in the rules (respondents/quality/) and none here beyond the driver's rows.

Writing: a run's flags are bulk-inserted, and the flags of the wave's previous runs are
deleted in the same transaction, so the wave always has exactly one current set of flags:
those of its latest finished run. Older CleaningRun rows stay as the record of what ran
with which settings. A failed run writes no flags and leaves the previous ones current.

Overrides: a FlagOverride on (response, rule) means later runs do not raise that flag
again; an override naming a family ("duplicate") covers every rule of it
("duplicate:near"). The run counts what was suppressed under counts["overridden"].
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone

from respondents.models import (
    CleaningRun,
    CleaningRunStatus,
    FlagOverride,
    QualityFlag,
    Response,
    ResponseStatus,
    Wave,
)
from respondents.quality.config import CleaningConfig
from respondents.quality.frame import MISSING_CODE, AttentionCheck, Battery, WaveFrame
from respondents.quality.rules import QualityReport, run_rules
from surveys.models import Choice, Page, Question, QuestionType

# Rows fetched per database round trip: large enough to amortise it, small enough that a
# million-response wave never holds more than this many Python row tuples at once.
LOAD_CHUNK = 20_000
# Flags per INSERT.
WRITE_BATCH = 5_000
CLOSED_TYPES = (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE)
NUMERIC_TYPES = (QuestionType.INTEGER, QuestionType.DECIMAL)
FIXED_FIELDS = (
    "id",
    "source_id",
    "status",
    "language",
    "member_id",
    "invitation_id",
    "fingerprint",
    "honeypot_filled",
    "started_at",
    "completed_at",
    "updated_at",
)


@dataclass(frozen=True)
class _Item:
    name: str
    type: str
    page: str
    choice_list_id: int | None
    attention_expected: str


@dataclass(frozen=True)
class _Layout:
    """What the questionnaire says about the frame's columns."""

    items: tuple[_Item, ...]
    pages: tuple[str, ...]
    page_item_counts: tuple[int, ...]
    # choice list -> {choice name: (position code, statistical code)}
    choices: dict[int, dict[str, tuple[int, int]]]


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
        # their deletes and inserts.
        Wave.objects.select_for_update().filter(pk=run.wave_id).first()
        overridden = _overridden(run.wave_id)
        written, suppressed, flagged = _write_flags(run, frame, report, overridden)
        QualityFlag.objects.filter(run__wave_id=run.wave_id).exclude(run=run).delete()
        run.status = CleaningRunStatus.FINISHED
        run.finished_at = timezone.now()
        run.timings = {
            "load": round(loaded, 4),
            **report.timings,
            "write": round(time.perf_counter() - started, 4),
        }
        run.counts = {
            "responses": frame.size,
            "flagged_responses": flagged,
            "rules": written,
            "overridden": suppressed,
        }
        run.notes = list(report.notes)
        run.save(update_fields=["status", "finished_at", "timings", "counts", "notes"])


def _overridden(wave_id: int) -> set[tuple[int, str]]:
    return set(
        FlagOverride.objects.filter(response__wave_id=wave_id).values_list("response_id", "rule")
    )


def _write_flags(
    run: CleaningRun,
    frame: WaveFrame,
    report: QualityReport,
    overridden: set[tuple[int, str]],
) -> tuple[dict[str, int], dict[str, int], int]:
    written: dict[str, int] = {}
    suppressed: dict[str, int] = {}
    flagged: set[int] = set()

    def flags() -> Iterator[QualityFlag]:
        for rule_flags in report.flags:
            family = rule_flags.rule.split(":", 1)[0]
            ids = frame.response_ids[rule_flags.rows].tolist()
            written.setdefault(rule_flags.rule, 0)
            for response_id, score, detail in zip(
                ids, rule_flags.scores.tolist(), rule_flags.details, strict=True
            ):
                if (response_id, rule_flags.rule) in overridden or (
                    response_id,
                    family,
                ) in overridden:
                    suppressed[rule_flags.rule] = suppressed.get(rule_flags.rule, 0) + 1
                    continue
                written[rule_flags.rule] += 1
                flagged.add(response_id)
                yield QualityFlag(
                    response_id=response_id,
                    run=run,
                    rule=rule_flags.rule,
                    score=None if np.isnan(score) else float(score),
                    detail=detail,
                )

    _bulk_create(flags())
    return written, suppressed, len(flagged)


def _bulk_create(flags: Iterator[QualityFlag]) -> None:
    batch: list[QualityFlag] = []
    for flag in flags:
        batch.append(flag)
        if len(batch) >= WRITE_BATCH:
            QualityFlag.objects.bulk_create(batch)
            batch = []
    if batch:
        QualityFlag.objects.bulk_create(batch)


# Loading -----------------------------------------------------------------------------------


def load_wave_frame(wave: Wave, *, config: CleaningConfig, now: datetime) -> WaveFrame:
    layout = _layout(wave.version_id)
    columns = _fetch_columns(wave, layout)
    n = len(columns["id"])
    codes = np.full((n, len(layout.items)), MISSING_CODE, dtype=np.int32)
    values = np.full((n, len(layout.items)), np.nan)
    checks: list[AttentionCheck] = []
    # One pass per item (60 or so), vectorised over responses.
    for j, item in enumerate(layout.items):
        codes[:, j], values[:, j], expected = _encode(item, columns[f"a{j}"], layout.choices)
        if item.attention_expected:
            checks.append(AttentionCheck(item.name, j, expected))
    page_times = (
        np.column_stack(
            [pd.to_numeric(columns[f"t{p}"], errors="coerce") for p in range(len(layout.pages))]
        )
        if layout.pages
        else np.zeros((n, 0))
    )
    status = np.asarray(columns["status"], dtype=object)
    source = pd.Series(columns["source_id"], dtype=object)
    ids = np.asarray(columns["id"], dtype=np.int64)
    return WaveFrame(
        response_ids=ids,
        is_complete=status == ResponseStatus.COMPLETED,
        is_abandoned=status == ResponseStatus.ABANDONED,
        started_at=_epoch(columns["started_at"]),
        completed_at=_epoch(columns["completed_at"]),
        updated_at=_epoch(columns["updated_at"]),
        identity={
            "panel member": _ids(columns["member_id"]),
            "invitation": _ids(columns["invitation_id"]),
        },
        fingerprint=_factorised(columns["fingerprint"]),
        honeypot_filled=np.asarray(columns["honeypot_filled"], dtype=np.bool_),
        page_times=np.asarray(page_times, dtype=np.float64),
        page_names=layout.pages,
        page_item_counts=np.asarray(layout.page_item_counts, dtype=np.int64),
        codes=codes,
        values=values,
        item_names=tuple(item.name for item in layout.items),
        match_columns=tuple(
            j
            for j, item in enumerate(layout.items)
            if not item.attention_expected and item.type != QuestionType.TEXT
        ),
        batteries=_batteries(layout, config.straightliner_min_items),
        attention_checks=tuple(checks),
        language=_factorised(columns["language"]),
        now=now.timestamp(),
        labels=source.where(source.notna() & (source != ""), pd.Series(ids).astype(str)).to_numpy(
            dtype=object
        ),
    )


def _layout(version_id: int) -> _Layout:
    questions = list(
        Question.objects.filter(version_id=version_id)
        .filter(Q(type__in=(*CLOSED_TYPES, *NUMERIC_TYPES)) | ~Q(attention_expected=""))
        .order_by("position")
        .values_list("name", "type", "page__name", "choice_list_id", "attention_expected")
    )
    pages = tuple(
        Page.objects.filter(version_id=version_id)
        .order_by("position")
        .values_list("name", flat=True)
    )
    answerable = dict.fromkeys(pages, 0)
    for page_name in (
        Question.objects.filter(version_id=version_id)
        .exclude(type=QuestionType.NOTE)
        .values_list("page__name", flat=True)
    ):
        answerable[page_name] += 1
    choices: dict[int, dict[str, tuple[int, int]]] = {}
    for list_id, name, position, code in Choice.objects.filter(
        choice_list__version_id=version_id
    ).values_list("choice_list_id", "name", "position", "code"):
        choices.setdefault(list_id, {})[name] = (position, code)
    return _Layout(
        items=tuple(_Item(*row) for row in questions),
        pages=pages,
        page_item_counts=tuple(answerable[p] for p in pages),
        choices=choices,
    )


def _fetch_columns(wave: Wave, layout: _Layout) -> dict[str, list[Any]]:
    annotations: dict[str, Any] = {
        f"a{j}": KeyTextTransform(item.name, "answers") for j, item in enumerate(layout.items)
    }
    annotations.update(
        {
            f"t{p}": KeyTextTransform(
                "seconds", KeyTransform(page, KeyTransform("pages", "paradata"))
            )
            for p, page in enumerate(layout.pages)
        }
    )
    names = [*FIXED_FIELDS, *annotations]
    query = (
        Response.objects.filter(wave=wave)
        .annotate(**annotations)
        .order_by("id")
        .values_list(*names)
    )
    columns: dict[str, list[Any]] = {name: [] for name in names}
    chunk: list[tuple[Any, ...]] = []
    for row in query.iterator(chunk_size=LOAD_CHUNK):
        chunk.append(row)
        if len(chunk) >= LOAD_CHUNK:
            _extend(columns, names, chunk)
            chunk = []
    _extend(columns, names, chunk)
    return columns


def _extend(
    columns: dict[str, list[Any]], names: Sequence[str], chunk: list[tuple[Any, ...]]
) -> None:
    if not chunk:
        return
    for name, values in zip(names, zip(*chunk, strict=True), strict=True):
        columns[name].extend(values)


def _encode(
    item: _Item, raw: list[Any], choices: dict[int, dict[str, tuple[int, int]]]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes for equality, numeric values for variability, and the expected answer's code."""
    series = pd.Series(raw, dtype=object)
    if item.type == QuestionType.SELECT_ONE and item.choice_list_id is not None:
        options = choices.get(item.choice_list_id, {})
        position = series.map({name: pos for name, (pos, _) in options.items()})
        code = series.map({name: value for name, (_, value) in options.items()})
        codes = position.fillna(0).to_numpy(dtype=np.int64) - 1
        expected = options.get(item.attention_expected, (-1, 0))[0] - 1
        return codes.astype(np.int32), code.to_numpy(dtype=np.float64, na_value=np.nan), expected
    if item.type in NUMERIC_TYPES:
        numbers = pd.to_numeric(series, errors="coerce")
        codes, uniques = pd.factorize(numbers)
        expected = _expected_code(uniques, pd.to_numeric(item.attention_expected, errors="coerce"))
        return codes.astype(np.int32), numbers.to_numpy(dtype=np.float64, na_value=np.nan), expected
    # select_multiple (its JSON list as text) and text checks: equal text, equal answer.
    normalised = series.where(series.notna() & (series != ""), None)
    if item.type == QuestionType.TEXT:
        normalised = normalised.str.strip().str.casefold()
    codes, uniques = pd.factorize(normalised)
    expected = _expected_code(uniques, item.attention_expected.strip().casefold() or None)
    return codes.astype(np.int32), np.full(len(raw), np.nan), expected


def _expected_code(uniques: Any, expected: Any) -> int:
    # An expected answer nobody gave gets a code no answer has: every answer then fails.
    matches = np.flatnonzero(np.asarray(uniques, dtype=object) == expected)
    return int(matches[0]) if matches.size else -2


def _epoch(values: list[Any]) -> np.ndarray:
    stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
    seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return seconds.to_numpy(dtype=np.float64, na_value=np.nan)


def _ids(values: list[Any]) -> np.ndarray:
    return pd.Series(values, dtype="Int64").fillna(-1).to_numpy(dtype=np.int64)


def _factorised(values: list[Any]) -> np.ndarray:
    series = pd.Series(values, dtype=object)
    codes, _ = pd.factorize(series.where(series.notna() & (series != ""), None))
    return codes.astype(np.int64)


def _batteries(layout: _Layout, min_items: int) -> tuple[Battery, ...]:
    grouped: dict[tuple[str, int], list[int]] = {}
    for j, item in enumerate(layout.items):
        if (
            item.type == QuestionType.SELECT_ONE
            and item.choice_list_id
            and not item.attention_expected
        ):
            grouped.setdefault((item.page, item.choice_list_id), []).append(j)
    per_page: dict[str, int] = {}
    for page, _ in grouped:
        per_page[page] = per_page.get(page, 0) + 1
    return tuple(
        Battery(page if per_page[page] == 1 else f"{page}#{list_id}", tuple(columns))
        for (page, list_id), columns in grouped.items()
        if len(columns) >= min_items
    )
