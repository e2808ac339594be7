"""Repeats inside a group: the roster is a page of its own, kept in the group's place.

Django-free. Kobo and ODK authors put rosters inside groups (a "household" group holding
the members' repeat, or the wrapper group around the whole form). A roster is always a
page of its own, so a `begin repeat` directly inside a top-level group becomes a roster
page that follows the page of the group's other items (or stands alone when the group
holds nothing else); when the group is split into pages, the roster goes between them
at its place on the sheet. The group's `relevant` is joined with `and` to the roster's own, so
what hides the group hides the roster, and the group itself is kept on the roster page
(PageSpec.group) so the writer puts the repeat back inside it. When the group is a
wrapper (surveys/wrappers.py) the wrapper is dissolved: the roster keeps the joined
`relevant` and becomes a top-level roster, as the wrapper's other pages do.
"""

from __future__ import annotations

from dataclasses import replace

from surveys.formspec import PageSpec


def joined(outer: str, inner: str) -> str:
    """Both conditions, the outer first; either alone when the other is empty."""
    if not outer.strip():
        return inner
    if not inner.strip():
        return outer
    return f"({outer}) and ({inner})"


def own_relevant(page: PageSpec) -> str:
    """The roster's own `relevant`, without its group's (undoes `joined`)."""
    outer = page.group.relevant if page.group is not None else ""
    if not outer.strip():
        return page.relevant
    if page.relevant == outer:
        return ""
    prefix = f"({outer}) and ("
    if page.relevant.startswith(prefix) and page.relevant.endswith(")"):
        return page.relevant[len(prefix) : -1]
    return page.relevant


def placed(pages: list[PageSpec], grouped: set[str]) -> list[PageSpec]:
    """The pages with each roster read inside a group (named in `grouped`) moved to its
    place among the pages its group became: before the first page whose items all come
    after it on the sheet. A roster amid a group that stays one page follows that page."""
    rosters = [page for page in pages if page.name in grouped]
    result = [page for page in pages if page.name not in grouped]
    for roster in sorted(rosters, key=lambda page: page.row):
        index = next(
            (i for i, page in enumerate(result) if _first_row(page) > roster.row), len(result)
        )
        result.insert(index, roster)
    return result


def _first_row(page: PageSpec) -> int:
    if page.repeat is not None or not page.questions:
        return page.row
    return min(question.row for question in page.questions)


def in_group(roster: PageSpec, group: PageSpec) -> bool:
    return roster.group is not None and roster.group.path == group.name


def dissolved(pages: list[PageSpec], wrapper: str) -> list[PageSpec]:
    """The pages with the rosters of a split wrapper made top-level rosters."""
    return [
        replace(page, group=None) if page.group is not None and page.group.path == wrapper else page
        for page in pages
    ]


__all__ = ["dissolved", "in_group", "joined", "own_relevant", "placed"]
