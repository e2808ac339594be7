"""Under `--skip-unsupported`: which further items go because they read a skipped one.

Django-free. An item a web survey cannot ask (a location, a photo, a `hidden` input an
app fills, a calculation of `instance()` data from a map) is skipped (surveys/xlsform.py),
and so is everything that reads it, down the chain: an item whose `relevant`,
`constraint`, `calculation`, dynamic `default` or `choice_filter` reads one, by `${name}`
or by an ODK path (`../inputs/contact/_id`, `./source`). When the `relevant` of a page or of a section reads
one, whether the author meant the group to be shown cannot be known: showing it always
could ask what was meant for a few, hiding it always would keep its items empty while
looking answered. Its items go too. Each is listed with what it read, so the researcher
sees exactly what is left out (docs/xlsform.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from surveys.expressions import ExpressionError, references, tokens
from surveys.formspec import PageSpec, QuestionSpec, is_dynamic, page_groups, question_groups
from surveys.references import Place, Places, path_target

REASON_ITEM = "{type} (reads skipped ${{{name}}})"
REASON_GROUP = "{type} (in group {group!r}, whose relevant reads skipped ${{{name}}})"
REASON_HOLLOW_REPEAT = "{type} (in repeat {repeat!r}, which asks nothing without its skipped items)"
# Items that ask the respondent nothing: a repeat of only these has no entry to fill.
_UNASKED = ("note", "calculate")


@dataclass(frozen=True)
class Skipped:
    """What has been skipped so far, and what is still there."""

    names: frozenset[str]  # every skipped item's name
    present: Places  # the items not skipped, by where they sit

    @classmethod
    def of(cls, pages: list[PageSpec], skipped: set[str], metadata: set[str]) -> Skipped:
        places = [
            Place(q.xlsform_name, q.xlsform_name, question_groups(page, q))
            for page in pages
            for q in page.questions
        ]
        places += [Place(name, name, ()) for name in metadata]
        return cls(names=frozenset(skipped), present=Places(places))

    def read_by(self, expression: str, here: tuple[str, ...], *, fields: bool = False) -> str:
        """The first skipped item `expression`, asked from group path `here`, reads, or
        "". A `${name}` reads it when no item of that name is left; a path when it leads
        to no item left and its last step names a skipped one (the path-name fallback of
        surveys/references.py would otherwise take another item of that name, even the
        one asking). Raises ExpressionError when the expression does not parse."""
        found = {
            name
            for name in references(expression, fields=fields)
            if name not in self.present.by_written
        }
        for kind, text, _start, _end in tokens(expression):
            if kind != "path":
                continue
            target = path_target(text, here)
            if target and target not in self.present.by_path and target[-1] in self.names:
                found.add(target[-1])
        return min(found & self.names, default="")


def reads_skipped(page: PageSpec, question: QuestionSpec, skipped: Skipped) -> str:
    """Why `question` goes: the first skipped item it reads, or that its page or a
    section around it reads (the outermost such group); "" when it stays."""
    here = question_groups(page, question)
    default = question.default if is_dynamic(question.default) else ""
    for expression in (question.relevant, question.constraint, question.calculation, default):
        name = _read(skipped, expression, here)
        if name:
            return REASON_ITEM.format(type=question.type, name=name)
    # A cascade whose parent is skipped cannot be filtered.
    name = _read(skipped, question.choice_filter, here, fields=True)
    if name:
        return REASON_ITEM.format(type=question.type, name=name)
    top = page_groups(page)
    groups: list[tuple[str, str, tuple[str, ...]]] = [(page.name, page.relevant, ())]
    groups += [
        (section.name, section.relevant, (*top, *section.path.split("/")[:-1]))
        for section in sorted(page.sections, key=lambda section: section.path.count("/"))
        if question.section == section.path or question.section.startswith(section.path + "/")
    ]
    for group, relevant, where in groups:
        name = _read(skipped, relevant, where)
        if name:
            return REASON_GROUP.format(type=question.type, group=group, name=name)
    return ""


def _read(skipped: Skipped, expression: str, here: tuple[str, ...], *, fields: bool = False) -> str:
    try:
        return skipped.read_by(expression, here, fields=fields)
    except ExpressionError:
        return ""  # refused with its row when the form is checked


def hollow_repeats(pages: list[PageSpec]) -> frozenset[str]:
    """The repeats left asking nothing (only notes and calculations) once their skipped
    items are out: a roster of entries with nothing to answer (an `indexed-repeat()`
    second pass over a household whose every question read what was skipped)."""
    return frozenset(
        page.name
        for page in pages
        if page.repeat is not None and all(q.type in _UNASKED for q in page.questions)
    )


def in_hollow_repeat(page: PageSpec, question: QuestionSpec, hollow: frozenset[str]) -> str:
    """Why `question` goes with its hollow repeat, or ""."""
    if page.name in hollow and page.repeat is not None:
        return REASON_HOLLOW_REPEAT.format(type=question.type, repeat=page.name)
    return ""
