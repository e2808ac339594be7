"""The answers of an imported chunk, checked column by column (see import_copy.py): which
rows are certainly fine, and each fine row's answers as a JSON object.

Two ways, both giving the row-by-row reading's verdict on every row they accept:

- Forms without calculations, cascades or expressions reading an "other, specify" text
  (most questionnaires): in a row that has no problem, every hidden item is empty, so each
  expression sees exactly the parsed cells of the items before it (on earlier pages, or on
  its own page, as check_page merges them). Each expression is then evaluated once per
  distinct combination of the cells it names, and each cell parsed once per distinct
  value. A row with a problem is caught by its first one: up to the first hidden but
  answered item, the namespace is the row-by-row one, so that item is seen as hidden.
- Other forms: rows are grouped by the cells of the *drivers*, the items any expression
  or "other, specify" reads, and each group walked once as imports._answers walks a row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from respondents.services import imports
from respondents.services.answers import (
    TEXT_MAX_CHARS,
    _is_true_or,
    check_page,
    is_phone,
    page_is_relevant,
    parse_answer,
    with_calculations,
)
from respondents.services.form_schema import FormQuestion, FormSchema
from surveys.expressions import ExpressionError, references
from surveys.models import QuestionType

# -- the drivers: which columns can change what another column means ---------------------


def _expression_names(schema: FormSchema) -> set[str]:
    """Answer keys any expression reads; raises ExpressionError if one cannot be parsed."""
    names: set[str] = set()
    for page in schema.pages:
        names |= references(page.relevant)
        for question in page.questions:
            for condition in (*question.conditions, question.relevant):
                names |= references(condition)
            names |= references(question.constraint)
            names |= references(question.calculation)
            names |= references(question.choice_filter, fields=True)
    return names


def reads_rosters(schema: FormSchema) -> bool:
    """Whether an expression outside the rosters reads a roster (`count(${members})`, or
    an item inside one), so a row's other pages depend on its entries; True when an
    expression cannot be parsed."""
    inside: set[str] = set()
    for page in schema.pages:
        if page.repeat is not None:
            inside.add(page.name)
            inside |= {q.name for q in page.questions}
            inside |= {q.other_name for q in page.questions if q.other_choice}
    outside = replace(schema, pages=tuple(p for p in schema.pages if p.repeat is None))
    try:
        return bool(_expression_names(outside) & inside)
    except ExpressionError:
        return True


def driver_names(schema: FormSchema) -> set[str] | None:
    """Answer keys whose value an expression or an "other, specify" reads; None when an
    expression cannot be parsed (then every column drives, and each row is walked whole)."""
    try:
        names = _expression_names(schema)
    except ExpressionError:
        return None
    for page in schema.pages:
        for question in page.questions:
            if question.choice_filter.strip():
                names.add(question.name)
            if question.other_choice:
                names |= {question.name, question.other_name}
    return names


def is_plain(schema: FormSchema) -> bool:
    """Whether each expression sees only the parsed cells before it (module docstring)."""
    questions = [q for page in schema.pages for q in page.questions]
    if any(q.type == QuestionType.CALCULATE or q.choice_filter.strip() for q in questions):
        return False
    if any(page.repeat is not None for page in schema.pages):
        return False  # a file with roster columns is read row by row (import_copy.py)
    try:
        names = _expression_names(schema)
    except ExpressionError:
        return False
    return not names & {q.other_name for q in questions if q.other_choice}


@dataclass(frozen=True)
class _GroupPlan:
    """What one combination of driver cells (and completed or not) means for a row."""

    # The drivers' typed answers as a JSON fragment ('"a": 1, "b": "x"'), None when none.
    fragment: str | None
    # Other items shown, each with the answers its constraint sees (None: no constraint
    # that reads other answers).
    shown: dict[str, Mapping[str, object] | None]


@dataclass
class Planner:
    layout: imports.Layout
    drivers: set[str] = field(init=False)
    plans: dict[tuple[bool, tuple[str, ...]], _GroupPlan | None] = field(default_factory=dict)
    plain: bool = field(init=False)

    # Whether a page outside the rosters reads one (then rows with entries are read whole).
    reads_rosters: bool = field(init=False)

    def __post_init__(self) -> None:
        self.reads_rosters = reads_rosters(self.layout.schema)
        names = driver_names(self.layout.schema)
        columns = set(imports.item_columns(self.layout.schema))
        self.drivers = columns if names is None else names & columns
        self.plain = is_plain(self.layout.schema)

    def plan(
        self, completed: bool, cells: tuple[str, ...], names: Sequence[str]
    ) -> _GroupPlan | None:
        key = (completed, cells)
        if key not in self.plans:
            self.plans[key] = self._walk(dict(zip(names, cells, strict=True)), completed)
        return self.plans[key]

    def _walk(self, cells: dict[str, str], completed: bool) -> _GroupPlan | None:
        """imports._answers for a row whose other items are empty; None when the drivers
        alone already make the row refused (hidden or bad answers among them)."""
        schema = self.layout.schema
        answers: dict[str, object] = {}
        shown: dict[str, Mapping[str, object] | None] = {}
        for page in schema.pages:
            if page.repeat is not None:
                continue  # rosters read only when the file has their columns, then row by row
            raw = imports.raw_page(page, cells)
            if not page_is_relevant(page, answers):
                if any(raw.values()):
                    return None
                continue
            check = check_page(
                schema,
                page,
                raw,
                answers,
                language=imports.MESSAGE_LANGUAGE,
                enforce_required=completed,
            )
            if any(name in self.drivers for name in check.errors):
                return None
            for question in page.questions:
                if not question.is_asked:
                    continue
                if question.name in self.drivers:
                    if question.name not in check.visible and raw[question.name]:
                        return None
                elif question.name in check.visible:
                    shown[question.name] = None
            page_values = {
                q.name: check.values[q.name]
                for q in page.questions
                if check.values.get(q.name) is not None
            }
            constrained = [
                q
                for q in page.questions
                if q.name in shown and q.constraint and not is_phone(q) and _reads_answers(q)
            ]
            if constrained:
                # What the constraint sees in check_page: earlier answers, this page's,
                # then the calculations (the other items' own answers are never read).
                merged = with_calculations(
                    schema, {**answers, **page_values}, language=imports.MESSAGE_LANGUAGE
                )
                for question in constrained:
                    shown[question.name] = merged
            answers.update({k: v for k, v in check.values.items() if v is not None})
        fragment = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in answers.items())
        return _GroupPlan(fragment or None, shown)


def _reads_answers(question: FormQuestion) -> bool:
    return bool(references(question.constraint))


@dataclass
class Columns:
    """The chunk's candidate rows, column by column: per-row codes into distinct values."""

    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]
    rows: int

    def column(self, name: str) -> tuple[np.ndarray, list[str]]:
        if name in self.codes:
            return self.codes[name], self.values[name]
        return np.zeros(self.rows, dtype=np.int64), [""]


def _factorize(cells: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Codes per row and the distinct values, stripped as imports.prepare_row strips."""
    # pandas hashes Python strings in place; pyarrow would first copy every one.
    codes, distinct = pd.factorize(np.array(cells, dtype=object))
    return codes.astype(np.int64, copy=False), [cell.strip() for cell in distinct]


def columns_of(header: tuple[str, ...], rows: list[list[str]]) -> Columns:
    codes: dict[str, np.ndarray] = {}
    values: dict[str, list[str]] = {}
    for name, cells in zip(header, zip(*rows, strict=True), strict=True):
        codes[name], values[name] = _factorize(cells)
    return Columns(codes, values, len(rows))


def by_code(per_value: Sequence[object], codes: np.ndarray, kind: pa.DataType) -> pa.Array:
    return pa.array(per_value, kind).take(pa.array(codes))


def joined(parts: list[pa.Array], rows: int) -> pa.Array:
    """Per row, the non-null fragments joined by commas ("" when none)."""
    if not parts:
        return pa.array([""] * rows, pa.string())
    # Each fragment brings its own leading separator, dropped once at the end
    # (binary_join_element_wise's own null skipping loses rows in pyarrow 26).
    with_separator = [pc.fill_null(pc.binary_join_element_wise(", ", p, ""), "") for p in parts]
    joined = pc.binary_join_element_wise(*with_separator, "")
    return pc.utf8_slice_codeunits(joined, start=len(", "))


def answer_fragments(
    planner: Planner, columns: Columns, is_completed: np.ndarray, fine: np.ndarray
) -> pa.Array:
    """Each row's answers as a JSON object; rows with a problem are marked in `fine`."""
    schema = planner.layout.schema
    if planner.plain:
        return _plain_fragments(schema, columns, is_completed, fine)
    drivers = sorted(planner.drivers)
    # The rows' groups: completed or not, and the drivers' cells.
    key = np.stack([is_completed.astype(np.int64)] + [columns.column(n)[0] for n in drivers])
    distinct, group_of = np.unique(key, axis=1, return_inverse=True)
    group_of = group_of.reshape(-1)
    plans: list[_GroupPlan | None] = []
    for g in range(distinct.shape[1]):
        cells = tuple(columns.column(name)[1][distinct[1 + i, g]] for i, name in enumerate(drivers))
        plans.append(planner.plan(bool(distinct[0, g]), cells, drivers))
    fine &= np.array([plan is not None for plan in plans])[group_of]
    parts = [by_code([p.fragment if p else None for p in plans], group_of, pa.string())]
    for page in schema.pages:
        if page.repeat is not None:
            continue
        for question in page.questions:
            if not question.is_asked or question.name in planner.drivers:
                continue
            parts.append(_item_fragments(question, columns, plans, group_of, is_completed, fine))
    inner = joined(parts, columns.rows)
    return pc.binary_join_element_wise("{", inner, "}", "")


def _item_fragments(
    question: FormQuestion,
    columns: Columns,
    plans: list[_GroupPlan | None],
    group_of: np.ndarray,
    is_completed: np.ndarray,
    fine: np.ndarray,
) -> pa.Array:
    """One item that no expression reads: each distinct cell parsed once, then checked
    against whether the row's group shows the item (hidden, required, constraint)."""
    codes, texts = columns.column(question.name)
    fragments: list[str | None] = []
    parsed: list[object] = []
    good: list[bool] = []
    name = json.dumps(question.name)
    for text in texts:
        value, error = parse_answer(question, {question.name: imports.raw_answer(question, text)})
        parsed.append(value)
        good.append(not error)
        fragments.append(None if value is None else f"{name}: {json.dumps(value)}")
    present = np.array([bool(text) for text in texts])[codes]
    answered = np.array([value is not None for value in parsed])[codes]
    fine &= np.array(good)[codes]
    shown = np.array([p is not None and question.name in p.shown for p in plans])[group_of]
    fine &= ~(present & ~shown)
    if question.required:
        fine &= ~(shown & is_completed & ~answered)
    if question.constraint and not is_phone(question):
        fine &= _constraint_holds(question, codes, parsed, plans, group_of, shown & answered)
    return by_code(fragments, codes, pa.string())


def _constraint_holds(
    question: FormQuestion,
    codes: np.ndarray,
    parsed: list[object],
    plans: list[_GroupPlan | None],
    group_of: np.ndarray,
    checked: np.ndarray,
) -> np.ndarray:
    """The constraint per distinct (group, value), as check_page evaluates it."""
    holds = np.ones(len(codes), dtype=bool)
    rows = np.flatnonzero(checked)
    if not len(rows):
        return holds
    reads = _reads_answers(question)
    pairs = np.stack([group_of[rows] if reads else np.zeros(len(rows), np.int64), codes[rows]])
    distinct, inverse = np.unique(pairs, axis=1, return_inverse=True)
    verdicts = []
    for g, code in distinct.T:
        plan = plans[int(g)] if reads else None
        seen = (plan.shown.get(question.name) if plan else None) or {}
        verdicts.append(
            _is_true_or(question.constraint, seen, True, item=question.name, current=parsed[code])
        )
    holds[rows] = np.array(verdicts)[inverse.reshape(-1)]
    return holds


# -- plain forms: each expression once per distinct combination of the cells it reads ------


@dataclass(frozen=True)
class _Parsed:
    """One item's column: per-row codes, and per distinct cell its parsed value."""

    codes: np.ndarray
    values: list[object]


def _parse_column(
    question: FormQuestion, columns: Columns, fine: np.ndarray
) -> tuple[_Parsed, pa.Array, np.ndarray, np.ndarray]:
    """The parsed column, its JSON fragments, and per row: cell given, answer read."""
    codes, texts = columns.column(question.name)
    values: list[object] = []
    good: list[bool] = []
    fragments: list[str | None] = []
    read = _read_text if question.type == QuestionType.TEXT and not is_phone(question) else None
    name = json.dumps(question.name)
    for text in texts:
        value: object
        if read is not None:
            value, error = read(text)
        else:
            raw = {question.name: imports.raw_answer(question, text)}
            value, error = parse_answer(question, raw)
        values.append(value)
        good.append(not error)
        fragments.append(None if value is None else f"{name}: {json.dumps(value)}")
    fine &= np.array(good)[codes]
    present = np.array([bool(text) for text in texts])[codes]
    answered = np.array([value is not None for value in values])[codes]
    return _Parsed(codes, values), by_code(fragments, codes, pa.string()), present, answered


def _read_text(text: str) -> tuple[str | None, str]:
    """parse_answer for a text item that is not a phone number, without building the
    request-shaped mapping per distinct answer (open answers are mostly all distinct)."""
    kept = text.replace("\x00", "").strip()
    if not kept:
        return None, ""
    if len(kept) > TEXT_MAX_CHARS:
        # Refused: the row is read again by imports.prepare_row, which words the reason.
        return None, "too long"
    return kept, ""


def _holds(
    expression: str,
    parsed: dict[str, _Parsed],
    rows: int,
    *,
    item: str,
    current: str = "",
) -> np.ndarray:
    """The expression per row, evaluated once per distinct combination of the parsed cells
    it reads (names not in `parsed` are not answered yet); `current` is the item `.` is."""
    if not expression.strip():
        return np.ones(rows, dtype=bool)
    names = sorted(references(expression) & parsed.keys())
    keys = [*names, current] if current else names
    if not keys:
        return np.full(rows, _is_true_or(expression, {}, True, item=item))
    distinct, inverse = np.unique(
        np.stack([parsed[name].codes for name in keys]), axis=1, return_inverse=True
    )
    verdicts = []
    for combination in distinct.T:
        cells = {
            name: parsed[name].values[code] for name, code in zip(keys, combination, strict=True)
        }
        answers = {name: cells[name] for name in names if cells[name] is not None}
        value = cells[current] if current else None
        verdicts.append(_is_true_or(expression, answers, True, item=item, current=value))
    return np.array(verdicts, dtype=bool)[inverse.reshape(-1)]


def _plain_fragments(
    schema: FormSchema, columns: Columns, is_completed: np.ndarray, fine: np.ndarray
) -> pa.Array:
    rows = columns.rows
    parsed: dict[str, _Parsed] = {}
    parts: list[pa.Array] = []
    for page in schema.pages:
        # The page's `relevant` sees the earlier pages' answers only.
        page_shown = _holds(page.relevant, dict(parsed), rows, item=page.name)
        asked = [question for question in page.questions if question.is_asked]
        read = {q.name: _parse_column(q, columns, fine) for q in asked}
        parsed.update({name: column[0] for name, column in read.items()})
        for question in asked:
            column, fragments, present, answered = read[question.name]
            shown = page_shown.copy()
            for condition in (*question.conditions, question.relevant):
                shown &= _holds(condition, parsed, rows, item=question.name)
            fine &= ~(present & ~shown)
            if question.required:
                fine &= ~(shown & is_completed & ~answered)
            if question.constraint and not is_phone(question):
                holds = _holds(
                    question.constraint, parsed, rows, item=question.name, current=question.name
                )
                fine &= ~(shown & answered & ~holds)
            parts.append(fragments)
            if question.other_choice:
                parts.append(_other_fragments(question, column, columns, shown, is_completed, fine))
    return pc.binary_join_element_wise("{", joined(parts, rows), "}", "")


def _other_fragments(
    question: FormQuestion,
    column: _Parsed,
    columns: Columns,
    shown: np.ndarray,
    is_completed: np.ndarray,
    fine: np.ndarray,
) -> pa.Array:
    """The "other, specify" text: needed on completed rows that chose "other", kept only
    with that choice (check_page)."""
    chose = np.array([value == question.other_choice for value in column.values])[column.codes]
    codes, texts = columns.column(question.other_name)
    kept = [text.replace("\x00", "").strip() for text in texts]
    given = np.array([bool(text) for text in kept])[codes]
    fine &= ~(shown & chose & is_completed & ~given)
    fragments = [
        f"{json.dumps(question.other_name)}: {json.dumps(text[:TEXT_MAX_CHARS])}" if text else None
        for text in kept
    ]
    stored = pa.array(shown & chose & given)
    return pc.if_else(stored, by_code(fragments, codes, pa.string()), pa.scalar(None, pa.string()))
