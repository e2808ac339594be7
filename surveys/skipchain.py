"""Under `--skip-unsupported`: the items that go because the group around them reads a
skipped item.

Django-free. An item a web survey cannot ask (a location, a photo, a calculation of
`instance()` data from a map) is skipped, and so is everything that reads it
(surveys/xlsform.py). When the `relevant` of a page or of a section reads such an item,
whether the author meant the group to be shown cannot be known: showing it always could
ask what was meant for a few, hiding it always would keep its items empty while looking
answered. Its items go too, each listed with the group and the item it read, so the
researcher sees exactly what is left out (docs/xlsform.md).
"""

from __future__ import annotations

from surveys.expressions import ExpressionError, references
from surveys.formspec import PageSpec, QuestionSpec

REASON_GROUP = "{type} (in group {group!r}, whose relevant reads skipped ${{{name}}})"


def group_reads_skipped(page: PageSpec, question: QuestionSpec, gone: frozenset[str]) -> str:
    """Why `question` goes because its page, or a section around it, has a `relevant`
    reading one of the skipped items `gone` (the outermost such group), or ""."""
    groups = [(page.name, page.relevant)]
    groups += [
        (section.name, section.relevant)
        for section in sorted(page.sections, key=lambda section: section.path.count("/"))
        if question.section == section.path or question.section.startswith(section.path + "/")
    ]
    for group, relevant in groups:
        try:
            missing = sorted(references(relevant) & gone)
        except ExpressionError:
            continue  # refused with its row when the form is checked
        if missing:
            return REASON_GROUP.format(type=question.type, group=group, name=missing[0])
    return ""
