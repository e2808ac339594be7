"""Wrapper groups: one group around (most of) a form is not one page.

Django-free. KoboToolbox authors often put the whole questionnaire in one top-level group
("survey", "main") holding the real sections. Read as Panelwave reads groups (a top-level
group is a page), that would be one page of a hundred questions. So the pages come from
the first level that splits the form: a top-level group is a *wrapper*, and its own
inner groups become the pages, when

- it holds more than half of the form's items,
- it has inner groups, and
- its appearance is not `field-list` (where the author asked for one page).

Items directly inside a wrapper become pages of their own, as items outside any group
are. The rule applies again to the pages it makes (a wrapper inside a wrapper). The
wrapper's `relevant` is joined with `and` to each page's (or loose item's) own, so what it
hid stays hidden; its label is dropped. A wrapper is kept as one page when an absolute
path in the form names it (`/data/survey/x`) or one of its groups has the name of another
page, since splitting would change what those names mean.
"""

from __future__ import annotations

from dataclasses import replace

from surveys.formspec import PageSpec, SectionSpec
from surveys.grouped_repeats import dissolved, in_group, joined

WARNING_WRAPPER = (
    "group {name!r} holds most of the form, so the groups inside it are the pages "
    "(docs/xlsform.md, 'Pages and sections')"
)


def split_wrappers(pages: list[PageSpec]) -> tuple[list[PageSpec], list[str]]:
    """The pages with every wrapper group replaced by the pages inside it, and a warning
    for each wrapper split."""
    total = sum(len(page.questions) for page in pages)
    warnings: list[str] = []
    result = list(pages)
    changed = True
    while changed:
        changed = False
        for index, page in enumerate(result):
            if _is_wrapper(page, total, result):
                result[index : index + 1] = _split(page)
                result = dissolved(result, page.name)
                warnings.append(WARNING_WRAPPER.format(name=page.name))
                changed = True
                break
    return result, warnings


def _is_wrapper(page: PageSpec, total: int, pages: list[PageSpec]) -> bool:
    if page.is_implicit or "field-list" in page.appearance.split() or not page.sections:
        return False
    if page.repeat is not None:
        # A roster's groups are sections of every entry, never pages of their own.
        return False
    # Its rosters (pages of their own that follow it) count as what it holds.
    held = len(page.questions) + sum(len(r.questions) for r in pages if in_group(r, page))
    if held * 2 <= total:
        return False
    others = {other.name for other in pages if other is not page}
    inner = {section.path for section in page.sections if "/" not in section.path}
    loose = {q.name for q in page.questions if not q.section}
    if others & (inner | loose):
        return False
    return not any(f"/{page.name}/" in text for text in _expressions(pages))


def _expressions(pages: list[PageSpec]) -> list[str]:
    texts: list[str] = []
    for page in pages:
        texts += [page.relevant, *(section.relevant for section in page.sections)]
        for q in page.questions:
            texts += [q.relevant, q.constraint, q.calculation, q.default, q.choice_filter]
    return texts


def _split(wrapper: PageSpec) -> list[PageSpec]:
    """The pages inside `wrapper`: one per first-level group, one per loose item."""
    pages: list[PageSpec] = []
    for question in wrapper.questions:
        if not question.section:
            relevant = joined(wrapper.relevant, question.relevant)
            loose = replace(question, relevant=relevant)
            pages.append(PageSpec(name=question.name, questions=(loose,), row=question.row))
            continue
        top, _, rest = question.section.partition("/")
        moved = replace(question, section=rest)
        if pages and pages[-1].name == top and not pages[-1].is_implicit:
            pages[-1] = replace(pages[-1], questions=(*pages[-1].questions, moved))
            continue
        section = wrapper.section(top) or SectionSpec(path=top)
        pages.append(
            PageSpec(
                name=top,
                questions=(moved,),
                labels=section.labels,
                relevant=joined(wrapper.relevant, section.relevant),
                appearance=section.appearance,
                sections=_inner_sections(wrapper, top),
                row=section.row,
            )
        )
    return pages


def _inner_sections(wrapper: PageSpec, top: str) -> tuple[SectionSpec, ...]:
    prefix = f"{top}/"
    return tuple(
        replace(section, path=section.path[len(prefix) :])
        for section in wrapper.sections
        if section.path.startswith(prefix)
    )


__all__ = ["WARNING_WRAPPER", "split_wrappers"]
