"""A page's question block (one question, or a battery) as HTML, rendered once per content
and language and reused by every respondent who is shown the same block.

Why: most of a page's template time went into its questions (labels, choices, their
escaping), which are the same for everyone reaching the page with nothing typed yet. The
cache is keyed by the block's whole content (a `Block` is frozen and hashable: labels,
choices, which are chosen, ids) with the active language and the heading element, so a
hit is exactly what rendering would give: it can never show another wave's, page's or
language's text. Only blocks marked `is_reusable` (respondents/forms.py: nothing typed by
the respondent, no message, no answer piped into a text) are kept, so the cache holds no
respondent's words. Per process, bounded (least recently used blocks are dropped).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import SafeString

from respondents.forms import Block

BLOCK_TEMPLATE = "respondents/block.html"
# A block is a few kilobytes of HTML: a few thousand cover the pages of every wave a
# server fields at once, in each language, in a few megabytes per process.
BLOCK_CACHE_SIZE = 4096
# The element of a block's section headings: h2 on a page, h3 inside a roster entry.
HEADING_TAGS = frozenset({"h2", "h3"})


def block_html(block: Block, heading_tag: str = "h2") -> SafeString:
    """The block's HTML in the active language (the page's, set by the view)."""
    if heading_tag not in HEADING_TAGS:
        raise ValueError(f"a block heading is one of {sorted(HEADING_TAGS)}, not {heading_tag!r}")
    # In development the templates are read afresh on every render: so is the block.
    if not block.is_reusable or settings.DEBUG:
        return _render(block, heading_tag)
    return _cached(block, heading_tag, translation.get_language())


@lru_cache(maxsize=BLOCK_CACHE_SIZE)
def _cached(block: Block, heading_tag: str, _language: str | None) -> SafeString:
    # The language is part of the key only: the template's own texts ("Required", "If
    # other, please specify:") are translated into the active one, which it is.
    return _render(block, heading_tag)


def _render(block: Block, heading_tag: str) -> SafeString:
    html = get_template(BLOCK_TEMPLATE).render({"block": block, "heading_tag": heading_tag})
    return SafeString(html)
