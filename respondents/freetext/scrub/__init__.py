"""The free-text scrubber: contacts, street addresses and people's names replaced by tags.

Layers, each chosen per word by its script (Cyrillic, Latin, or a word mixing both, read as
Cyrillic): compiled contact patterns (spelled-out forms included), street addresses and flat
numbers, then people's names (Russian morphology for Cyrillic, a first-name list and surname
endings for Latin). Public figures stay. Plain Python: no Django, no network; the Russian
dictionary loads on first use. How well it works on our labelled corpus: docs/free-text.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from respondents.freetext.scrub import addresses, contacts, names
from respondents.freetext.scrub.spans import TAGS, Span, replace, resolve

# Raised whenever a change to the patterns, lists or rules can change a result: stored
# answers scrubbed by an older version are scrubbed again in the background.
VERSION = 1
# Longer answers are not scrubbed but withheld whole: no survey question asks for an essay
# of this size, and the time to scrub stays bounded.
MAX_CHARS = 20_000
# An answer whose characters are mostly control codes or undecodable bytes is junk.
MAX_JUNK_SHARE = 0.1
WITHHELD = "<WITHHELD>"
# This version's recall on the labelled corpus (tests/respondents/freetext/corpus/), as
# bench/scrub_corpus.py prints it: the held-out file as first scored (written after tuning,
# the better guess for new answers), and the whole corpus. Update with VERSION.
MEASURED_RECALL = {
    "corpus": "Panelwave's labelled corpus of 435 answers (docs/free-text.md)",
    "held_out_first_score": {"names": 0.952, "addresses": 0.857, "contacts": 0.857},
    "whole_corpus": {"names": 0.994, "addresses": 1.0, "contacts": 1.0},
    "ordinary_answers_changed": 0.0,
}
REFUSED_TOO_LONG = "too_long"
REFUSED_JUNK = "unreadable"

__all__ = ["MAX_CHARS", "TAGS", "VERSION", "WITHHELD", "ScrubResult", "Span", "scrub"]


@dataclass(frozen=True)
class ScrubResult:
    # The released text: findings replaced by tags, or WITHHELD when refused.
    text: str
    # Kind -> how many were replaced (never the values).
    found: dict[str, int]
    # Where the findings were, in `source`.
    spans: list[Span] = field(default_factory=list)
    # The answer as scrubbed: NFC-normalised, control characters removed.
    source: str = ""
    # Why the answer was withheld whole, if it was: REFUSED_TOO_LONG or REFUSED_JUNK.
    refused: str = ""


# Control, format, surrogate and private-use characters, and the replacement character that
# undecodable bytes become: never part of an answer a person typed.
_JUNK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff0-\uffff\ud800-\udfff\ue000-\uf8ff]"
)


def clean(text: str) -> tuple[str, int]:
    """NFC text without control characters; how many characters were dropped."""
    normal = unicodedata.normalize("NFC", text)
    if not _JUNK.search(normal):
        return normal, 0
    kept = _JUNK.sub("", normal)
    return kept, len(normal) - len(kept)


def scrub(text: str, figures: Iterable[str] = ()) -> ScrubResult:
    """Scrub one answer. `figures`: further public figures to keep (lower-case)."""
    if len(text) > MAX_CHARS:
        return ScrubResult(WITHHELD, {REFUSED_TOO_LONG: 1}, refused=REFUSED_TOO_LONG)
    source, dropped = clean(text)
    if dropped > MAX_JUNK_SHARE * max(len(text), 1) or (text.strip() and not source.strip()):
        return ScrubResult(WITHHELD, {REFUSED_JUNK: 1}, refused=REFUSED_JUNK)
    if not source.strip():
        return ScrubResult(source, {}, source=source)
    spans = resolve(find(source, frozenset(f.lower() for f in figures)))
    if not spans:
        return ScrubResult(source, {}, source=source)
    found = Counter(span.kind for span in spans)
    return ScrubResult(replace(source, spans), dict(found), spans, source)


def find(text: str, figures: frozenset[str] = frozenset()) -> list[Span]:
    """Every finding in `text` (already cleaned), overlapping ones included."""
    spans = list(contacts.find(text))
    spans.extend(addresses.find(text))
    if any(ch.isalpha() for ch in text):
        spans.extend(names.find(text, figures))
    return spans
