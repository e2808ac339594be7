"""Repeats inside groups: the roster is a page of its own, asked where the author put it.

Django-free. Kobo and ODK authors put rosters inside groups, at any depth (a "household"
group holding the members' repeat, a section inside it holding a list of people, or the
wrapper group around the whole form). A roster is always a page of its own, so a `begin
repeat` inside a top-level group, directly or in a group inside it, becomes a roster page
at its place on the sheet:

- among the pages a split group became (surveys/wrappers.py), between them;
- amid the items of a group that stays one page, the page is asked in parts around it:
  the items before the roster, the roster, the items after it (formspec.PART_SEPARATOR
  names the later parts), so the respondent meets them in the author's order.

The roster keeps the chain of groups around it (PageSpec.groups, outermost first), so the
writer puts the repeat back inside them and the respondent sees their titles. Their
`relevant`, outermost first, are joined with `and` before the roster's own, so whatever
hides a group hides the roster. When the outermost group is a wrapper the wrapper is
dissolved: its `relevant` moves into the next group (as it does into every page the
wrapper became), or, with no group left, into the roster's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from surveys.formspec import PageSpec, QuestionSpec, SectionSpec, part_name


def joined(outer: str, inner: str) -> str:
    """Both conditions, the outer first; either alone when the other is empty."""
    if not outer.strip():
        return inner
    if not inner.strip():
        return outer
    return f"({outer}) and ({inner})"


def chained(groups: Iterable[SectionSpec], own: str) -> str:
    """A roster's `relevant`: each enclosing group's, outermost first, then its own."""
    result = own
    for group in reversed(tuple(groups)):
        result = joined(group.relevant, result)
    return result


def own_relevant(page: PageSpec) -> str:
    """The roster's own `relevant`, without its groups' (undoes `chained`)."""
    rest = page.relevant
    for group in page.groups:
        rest = _peeled(group.relevant, rest)
    return rest


def _peeled(outer: str, text: str) -> str:
    if not outer.strip():
        return text
    if text == outer:
        return ""
    prefix = f"({outer}) and ("
    if text.startswith(prefix) and text.endswith(")"):
        return text[len(prefix) : -1]
    return text


def placed(pages: list[PageSpec], grouped: set[str]) -> list[PageSpec]:
    """The pages with each roster read inside a group (named in `grouped`) moved to its
    place on the sheet: before the first page whose items all come after it, the page
    whose items surround it split in two around it. The parts of a split group are then
    named (formspec.part_name)."""
    rosters = [page for page in pages if page.name in grouped]
    result = [page for page in pages if page.name not in grouped]
    for roster in sorted(rosters, key=lambda page: page.row):
        result = [part for page in result for part in _split_at(page, roster.row)]
        index = next(
            (i for i, page in enumerate(result) if _first_row(page) > roster.row), len(result)
        )
        result.insert(index, roster)
    return _numbered(result, {page.name for page in result if page not in pages})


def _split_at(page: PageSpec, row: int) -> list[PageSpec]:
    """The page, or its items before `row` and after it as two pages of the same group."""
    if page.repeat is not None:
        return [page]
    before = tuple(q for q in page.questions if q.row < row)
    after = tuple(q for q in page.questions if q.row > row)
    if not before or not after:
        return [page]
    first = replace(page, questions=before, sections=_used(page.sections, before))
    rest = replace(page, questions=after, sections=_used(page.sections, after), row=after[0].row)
    return [first, rest]


def _used(
    sections: tuple[SectionSpec, ...], questions: tuple[QuestionSpec, ...]
) -> tuple[SectionSpec, ...]:
    """The sections holding one of the questions (a section is written at its first item,
    so one left empty in a part would not read back)."""
    paths = {q.section for q in questions}
    return tuple(
        s for s in sections if any(p == s.path or p.startswith(s.path + "/") for p in paths)
    )


def _numbered(pages: list[PageSpec], split: set[str]) -> list[PageSpec]:
    """The parts of each group split around its rosters (named in `split`) named
    `<group>`, `<group>#2`, ..."""
    seen: dict[str, int] = {}
    result = []
    for page in pages:
        if page.repeat is not None or page.name not in split:
            result.append(page)
            continue
        seen[page.name] = seen.get(page.name, 0) + 1
        result.append(replace(page, name=part_name(page.name, seen[page.name])))
    return result


def _first_row(page: PageSpec) -> int:
    if page.repeat is not None or not page.questions:
        return page.row
    return min(question.row for question in page.questions)


def in_group(roster: PageSpec, group: PageSpec) -> bool:
    """The roster sits somewhere inside the top-level group `group`."""
    return bool(roster.groups) and roster.groups[0].path == group.name


def dissolved(pages: list[PageSpec], wrapper: str) -> list[PageSpec]:
    """The pages with the rosters of a split wrapper taken out of it: the wrapper leaves
    their chain of groups, and its `relevant` goes to the next group of the chain (as
    wrappers.py gives it to each page it splits into) or else to the roster's own."""
    result = []
    for page in pages:
        if not page.groups or page.groups[0].path != wrapper:
            result.append(page)
            continue
        outer, inner = page.groups[0], page.groups[1:]
        own = own_relevant(page)
        groups = tuple(
            replace(
                group,
                path=group.path.partition("/")[2],
                relevant=joined(outer.relevant, group.relevant) if depth == 0 else group.relevant,
            )
            for depth, group in enumerate(inner)
        )
        relevant = chained(groups, own) if groups else joined(outer.relevant, own)
        result.append(replace(page, groups=groups, relevant=relevant))
    return result


__all__ = ["chained", "dissolved", "in_group", "joined", "own_relevant", "placed"]
