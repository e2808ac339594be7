"""Reference distributions (WVS / ESS marginals by country) uploaded as a small CSV.

The file: UTF-8 CSV with the header `concept,source,country,category,share`, one row per
category of a concept's distribution in one source and country, e.g.

    concept,source,country,category,share
    trust_people,WVS-7,DE,1,0.42
    trust_people,WVS-7,DE,2,0.58

`concept` is an item-bank key (ItemBankConcept) or a concept the study's questionnaires
harmonise; `share` is a fraction (0-1) or a percentage written with a trailing "%"; the
shares of one concept, source and country add up to at most 1 (missing answers may be
left out). An upload replaces the stored rows of the (concept, source, country) groups it
contains. Any bad row refuses the whole file, with every problem named by row and column.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from surveys.models import ItemBankConcept, Question, ReferenceDistribution, Study

COLUMNS = ("concept", "source", "country", "category", "share")
MAX_ROWS = 5_000
# Published marginals are rounded; shares of one group may overshoot 1 by this much.
SUM_TOLERANCE = 0.011

ERROR_ENCODING = "{file}: not UTF-8 text"
ERROR_EMPTY = "{file}: empty, expected the header {columns}"
ERROR_HEADER = "{file}: the header must be {columns} (got {got})"
ERROR_TOO_MANY = "{file}: more than {limit} rows"
ERROR_FIELDS = "row {row}: has {got} fields, the header has {expected}"
ERROR_REQUIRED = "row {row}: column {column!r} is empty"
ERROR_CONCEPT = "row {row}: column 'concept': {value!r} is neither in the item bank nor harmonised by this study"
ERROR_SHARE = "row {row}: column 'share': {value!r} is not a number between 0 and 1 (or 0-100%)"
ERROR_REPEATED = (
    "row {row}: category {category!r} repeats row {first} for {concept}/{source}/{country}"
)
ERROR_SUM = "rows of {concept}/{source}/{country}: shares add up to {total:.3f}, more than 1"
ERROR_LONG = "row {row}: column {column!r} is longer than {limit} characters"
MAX_LENGTHS = {"concept": 100, "source": 32, "country": 64, "category": 32}


class ReferenceUploadError(Exception):
    """The file was refused; `problems` names each one (the message joins them)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ReferenceUpload:
    rows: int
    groups: int


def _share(text: str) -> float | None:
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= 1 else None


def _known_concepts(study: Study) -> set[str]:
    harmonised = Question.objects.filter(version__questionnaire__study=study).exclude(harmonise="")
    return set(ItemBankConcept.objects.values_list("key", flat=True)) | set(
        harmonised.values_list("harmonise", flat=True)
    )


def _parse(study: Study, data: bytes, file_name: str) -> list[ReferenceDistribution]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceUploadError([ERROR_ENCODING.format(file=file_name)]) from exc
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    columns = ",".join(COLUMNS)
    if not header:
        raise ReferenceUploadError([ERROR_EMPTY.format(file=file_name, columns=columns)])
    if tuple(header) != COLUMNS:
        raise ReferenceUploadError(
            [ERROR_HEADER.format(file=file_name, columns=columns, got=",".join(header))]
        )
    known = _known_concepts(study)
    problems: list[str] = []
    rows: list[ReferenceDistribution] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if number > MAX_ROWS + 1:
            raise ReferenceUploadError([ERROR_TOO_MANY.format(file=file_name, limit=MAX_ROWS)])
        row = _parse_row(number, cells, known, problems)
        if row is None:
            continue
        key = (row.concept, row.source, row.country, row.category)
        if key in seen:
            problems.append(
                ERROR_REPEATED.format(
                    row=number,
                    first=seen[key],
                    category=row.category,
                    concept=row.concept,
                    source=row.source,
                    country=row.country,
                )
            )
            continue
        seen[key] = number
        rows.append(row)
    problems.extend(_sum_problems(rows))
    if problems:
        raise ReferenceUploadError(problems)
    for row in rows:
        row.study = study
    return rows


def _parse_row(
    number: int, cells: list[str], known: set[str], problems: list[str]
) -> ReferenceDistribution | None:
    if len(cells) != len(COLUMNS):
        problems.append(ERROR_FIELDS.format(row=number, got=len(cells), expected=len(COLUMNS)))
        return None
    values = dict(zip(COLUMNS, (cell.strip() for cell in cells), strict=True))
    before = len(problems)
    for column in COLUMNS:
        if not values[column]:
            problems.append(ERROR_REQUIRED.format(row=number, column=column))
        elif column in MAX_LENGTHS and len(values[column]) > MAX_LENGTHS[column]:
            problems.append(ERROR_LONG.format(row=number, column=column, limit=MAX_LENGTHS[column]))
    if values["concept"] and values["concept"] not in known:
        problems.append(ERROR_CONCEPT.format(row=number, value=values["concept"]))
    share = _share(values["share"]) if values["share"] else None
    if values["share"] and share is None:
        problems.append(ERROR_SHARE.format(row=number, value=values["share"]))
    if len(problems) > before or share is None:
        return None
    return ReferenceDistribution(
        concept=values["concept"],
        source=values["source"],
        country=values["country"],
        category=values["category"],
        share=share,
    )


def _sum_problems(rows: list[ReferenceDistribution]) -> list[str]:
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    for row in rows:
        totals[(row.concept, row.source, row.country)] += row.share
    return [
        ERROR_SUM.format(concept=concept, source=source, country=country, total=total)
        for (concept, source, country), total in totals.items()
        if total > 1 + SUM_TOLERANCE
    ]


@transaction.atomic
def upload_references(study: Study, data: bytes, *, file_name: str) -> ReferenceUpload:
    """Validate the whole file, then replace the groups it contains."""
    rows = _parse(study, data, file_name)
    groups = {(row.concept, row.source, row.country) for row in rows}
    for concept, source, country in groups:
        ReferenceDistribution.objects.filter(
            study=study, concept=concept, source=source, country=country
        ).delete()
    ReferenceDistribution.objects.bulk_create(rows)
    return ReferenceUpload(rows=len(rows), groups=len(groups))
