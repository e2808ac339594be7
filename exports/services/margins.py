"""set_margins: the population margins a study's combined-sample exports are raked to.

The file is CSV with a header `item,value,share`: one row per answer of each margin item.
Shares are proportions (summing to 1 per item) or percentages (summing to 100). Every item
must be a single-choice or numeric item of the study's questionnaires, every value one of its
answers; a refused file changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from django.db import transaction

from config.inputerrors import InputError
from exports.models import RakingMargins
from exports.weights import WeightingError, check_margins
from surveys.models import Choice, Question, QuestionType, Study

HEADER = ("item", "value", "share")
MAX_ROWS = 10_000
ERROR_HEADER = "the margins file needs the header item,value,share (got {header})"
ERROR_ROW = "row {row}: {problem}"
ERROR_NUMBER = "share {value!r} is not a number"
ERROR_ITEM = "item {item!r} is not a single-choice or numeric item of study {study}"
ERROR_VALUE = "{item!r} has no answer {value!r}"
ERROR_EMPTY = "the margins file names no item"
ERROR_TOO_LONG = "the margins file has more than {rows} rows"
ERROR_TWICE = "{item!r}={value!r} is given twice"
ERROR_ENCODING = "the margins file is not UTF-8 text"
# Every refusal is about the one input, the margins file.
FIELD = "margins"


def _read(content: bytes) -> dict[str, dict[str, float]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(ERROR_ENCODING, field=FIELD) from None
    reader = csv.reader(io.StringIO(text))
    header = tuple(cell.strip().lower() for cell in next(reader, []))
    if header != HEADER:
        raise InputError(ERROR_HEADER.format(header=",".join(header) or "nothing"), field=FIELD)
    margins: dict[str, dict[str, float]] = defaultdict(dict)
    for row_number, row in enumerate(reader, start=2):
        if row_number > MAX_ROWS:
            raise InputError(ERROR_TOO_LONG.format(rows=MAX_ROWS), field=FIELD)
        if not any(cell.strip() for cell in row):
            continue
        item, value, share = [*row, "", "", ""][:3]
        try:
            number = float(share.strip().rstrip("%"))
        except ValueError:
            raise InputError(
                ERROR_ROW.format(row=row_number, problem=ERROR_NUMBER.format(value=share)),
                field=FIELD,
            ) from None
        item, value = item.strip(), value.strip()
        if value in margins[item]:
            raise InputError(
                ERROR_ROW.format(
                    row=row_number, problem=ERROR_TWICE.format(item=item, value=value)
                ),
                field=FIELD,
            )
        margins[item][value] = number
    if not margins:
        raise InputError(ERROR_EMPTY, field=FIELD)
    # Percentages: an item whose shares add up to more than 1.5 was written in percent.
    return {
        item: {v: s / 100 for v, s in shares.items()} if sum(shares.values()) > 1.5 else shares
        for item, shares in margins.items()
    }


def _check_items(study: Study, margins: dict[str, dict[str, float]]) -> None:
    for item, shares in margins.items():
        question = (
            Question.objects.filter(version__questionnaire__study=study, name=item)
            .filter(type__in=(QuestionType.SELECT_ONE, QuestionType.INTEGER))
            .order_by("-version__number")
            .first()
        )
        if question is None:
            raise InputError(ERROR_ITEM.format(item=item, study=study.slug), field=FIELD)
        if question.type != QuestionType.SELECT_ONE:
            continue
        names = set(
            Choice.objects.filter(choice_list_id=question.choice_list_id).values_list(
                "name", flat=True
            )
        )
        for value in shares:
            if value not in names:
                raise InputError(ERROR_VALUE.format(item=item, value=value), field=FIELD)


@transaction.atomic
def set_margins(study: Study, content: bytes) -> RakingMargins:
    margins = _read(content)
    try:
        check_margins(margins)
    except WeightingError as error:
        raise InputError(str(error), field=FIELD) from None
    _check_items(study, margins)
    stored, _ = RakingMargins.objects.update_or_create(study=study, defaults={"margins": margins})
    return stored
