"""Free text as released: the scrubber of respondents/freetext/scrub/ applied to a column.

Names, street addresses and contacts are replaced by tags such as `<NAME>`; public figures
stay. See docs/free-text.md.
"""

from __future__ import annotations

from collections import Counter

from respondents.freetext.scrub import WITHHELD, ScrubResult, scrub

__all__ = ["WITHHELD", "ScrubResult", "scrub", "scrub_all"]


def scrub_all(texts: list[str]) -> tuple[list[str], Counter[str]]:
    totals: Counter[str] = Counter()
    out = []
    for text in texts:
        result = scrub(text)
        totals.update(result.found)
        out.append(result.text)
    return out, totals
