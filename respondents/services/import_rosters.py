"""Roster (XLSForm repeat) answers in an imported file: the wide export's numbered columns.

A roster's entries cannot be one column per item, so each entry's answer to an item is its
own column, named as the wide export names it: `<item>_<n>` for entry n (from 1), and
`<item>_other_<n>` for an entry's "other, specify" text (exports/repeats.py). Cells hold
what every other item column holds (a choice name, space-separated names for a
select_multiple). The columns of calculations and the `<item>_status_<n>` columns an
export writes beside the answers are accepted and read as nothing (both follow from the
answers), so the wide export's roster file reads back. A roster whose columns the file
leaves out is not read (the response has no entries, as before rosters could be imported).

A row's entries are read as the web form's roster page would post them: entry n holds the
cells of its columns, the number of entries is the highest entry with a filled cell (an
empty entry before it is kept, empty; trailing empty columns, as a wide export pads them,
are no entries), and the roster is checked as the respondent's page is
(respondents/services/rosters.py: each entry as a page in its own namespace, the
roster's calculations per entry, at least `min` entries on a completed row). More
entries than the roster allows (`max`, the count a `repeat_count` gives, or for a roster
whose entries cannot be added or removed, `jr:noAddRemove`, the entries it starts with)
refuse the row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from respondents.services.answers import PageCheck, page_is_relevant
from respondents.services.form_schema import FormPage, FormQuestion, FormSchema
from respondents.services.rosters import SEPARATOR, check_roster, field_name, instance_count
from surveys.repeats import RepeatSpec

# The suffix of the export's status variable beside an item (exports/catalogue.py).
STATUS_SUFFIX = "_status"

ERROR_BARE_COLUMNS = (
    "{file}: column(s) {columns} are items of a roster (an XLSForm repeat), which has one "
    "answer per entry: give entry 1 in {example}_1, entry 2 in {example}_2, and so on"
)
ERROR_TOO_MANY = "roster {roster!r}: entry {entry} is filled, but the roster has at most {limit}"
ERROR_TOO_MANY_FIXED = (
    "roster {roster!r}: entry {entry} is filled, but its repeat_count gives {limit} for this row"
)
ERROR_TOO_MANY_LOCKED = (
    "roster {roster!r}: entry {entry} is filled, but the roster has {limit} entries, to "
    "which none can be added (jr:noAddRemove)"
)
ERROR_TOO_FEW = "roster {roster!r}: {count} entries filled, at least {least} needed"


@dataclass(frozen=True)
class RosterCell:
    """What one numbered column holds: an answer of one entry of one roster."""

    roster: str  # the roster page's name (its answer key)
    entry: int  # from 1
    key: str  # the answer key inside the entry: the item's name or its other_name
    # The export's missing-value status beside an answer (`<item>_status_<n>`): accepted so
    # an exported file reads back, and read as nothing, since it follows from the answers.
    is_status: bool = False


def roster_keys(schema: FormSchema) -> dict[str, str]:
    """Answer key inside an entry -> its roster, for every roster of the form."""
    keys: dict[str, str] = {}
    for page in schema.pages:
        if page.repeat is None:
            continue
        for question in page.questions:
            keys[question.name] = page.name
            if question.other_choice:
                keys[question.other_name] = page.name
    return keys


def roster_cells(schema: FormSchema, names: Iterable[str]) -> dict[str, RosterCell]:
    """The header's numbered roster columns (`<key>_<n>`), by column name."""
    keys = roster_keys(schema)
    cells: dict[str, RosterCell] = {}
    for name in names:
        key, separator, number = name.rpartition("_")
        # Entry numbers as the export writes them: 1, 2, ..., never 01.
        if not (separator and number.isdigit() and not number.startswith("0")):
            continue
        if key in keys:
            cells[name] = RosterCell(keys[key], int(number), key)
        elif key.endswith(STATUS_SUFFIX) and key.removesuffix(STATUS_SUFFIX) in keys:
            item = key.removesuffix(STATUS_SUFFIX)
            cells[name] = RosterCell(keys[item], int(number), item, is_status=True)
    return cells


def bare_columns_problem(schema: FormSchema, names: Iterable[str], file_name: str) -> str:
    """The refusal of roster items given as plain columns ("" when there are none)."""
    keys = roster_keys(schema)
    bare = [name for name in names if name in keys]
    if not bare:
        return ""
    return ERROR_BARE_COLUMNS.format(
        file=file_name, columns=", ".join(repr(name) for name in bare), example=bare[0]
    )


def column_of(posted: str) -> str:
    """The file's column of a posted roster field (`members:2:age` -> `age_2`)."""
    _roster, _separator, rest = posted.partition(SEPARATOR)
    number, _separator, key = rest.partition(SEPARATOR)
    return f"{key}_{number}"


def filled_entries(
    cells: Mapping[str, RosterCell], values: Mapping[str, str]
) -> dict[str, dict[int, dict[str, str]]]:
    """Per roster in the file, its entries' filled cells: roster -> entry -> key -> text.
    A roster with columns but no filled cell is present, with no entries."""
    entries: dict[str, dict[int, dict[str, str]]] = {}
    for column, cell in cells.items():
        entry = entries.setdefault(cell.roster, {})
        text = values.get(column, "")
        if text and not cell.is_status:
            entry.setdefault(cell.entry, {})[cell.key] = text
    return entries


@dataclass(frozen=True)
class RosterReading:
    """One roster of one row as its page would take it: `check` is the page's check, None
    when the page is hidden (`hidden`) or the row has too many entries (`problem`)."""

    posted: dict[str, list[str]]
    check: PageCheck | None
    hidden: bool = False
    problem: str = ""


def read_roster(
    schema: FormSchema,
    page: FormPage,
    posted: dict[str, list[str]],
    answers: Mapping[str, object],
    *,
    completed: bool,
    language: str,
) -> RosterReading:
    """The row's entries of roster `page` (`posted`, see posted_entries) checked as the web
    form checks the page."""
    if not page_is_relevant(page, answers):
        return RosterReading(posted, None, hidden=True)
    repeat = page.repeat or RepeatSpec()
    count = entry_count(page, posted)
    # A roster the respondent cannot size shows the entries the form gives, no more.
    limit = instance_count(page, answers) if repeat.is_locked else repeat.upper
    if count > limit:
        message = ERROR_TOO_MANY
        if repeat.is_locked:
            message = ERROR_TOO_MANY_FIXED if repeat.is_fixed else ERROR_TOO_MANY_LOCKED
        return RosterReading(
            posted, None, problem=message.format(roster=page.name, entry=count, limit=limit)
        )
    # The entries the page shows: the row's, for a roster the respondent sizes.
    shown = dict(answers) if repeat.is_locked else {**answers, page.name: [{}] * count}
    check = check_roster(schema, page, posted, shown, language=language, enforce_required=completed)
    if page.name in check.errors:
        least = repeat.min_count
        check.errors[page.name] = ERROR_TOO_FEW.format(roster=page.name, count=count, least=least)
    return RosterReading(posted, check)


def entry_count(page: FormPage, posted: Mapping[str, list[str]]) -> int:
    """The highest entry with a filled cell (0 when none)."""
    numbers = [int(key.split(SEPARATOR)[1]) for key, value in posted.items() if value]
    return max(numbers, default=0)


def stored_entries(page: FormPage, reading: RosterReading, *, completed: bool) -> object:
    """The roster's value to store, None for none: a roster with no entries is stored (as
    an empty list) only on a completed row, which went past its page."""
    if reading.check is None:
        return None
    entries = reading.check.values.get(page.name)
    return entries if completed or entries else None


def posted_entries(
    page: FormPage,
    filled: Mapping[int, Mapping[str, str]],
    answer_of: Callable[[FormQuestion, str], list[str]],
) -> dict[str, list[str]]:
    """The entries' cells as the roster page would post them (`answer_of` splits a cell as
    the item's column is split elsewhere in the file)."""
    posted: dict[str, list[str]] = {}
    for entry in range(1, max(filled, default=0) + 1):
        cells = filled.get(entry, {})
        for question in page.questions:
            if not question.is_asked:
                continue
            names = [question.name, *([question.other_name] if question.other_choice else [])]
            for name in names:
                posted[field_name(page.name, entry, name)] = answer_of(
                    question, cells.get(name, "")
                )
    return posted
