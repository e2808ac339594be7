"""Warn at the source: before a page is saved, free-text answers that look like they hold a
name, an address or a contact are pointed out to the respondent, who may remove them.

The respondent decides; the page only moves on once they chose. The choice is counted in
the response's paradata (`privacy_warnings`: shown, removed, kept), never the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from respondents.freetext.scrub import MAX_CHARS, clean, find
from respondents.freetext.scrub.spans import CONTACT_KINDS, Span, resolve
from respondents.services.form_schema import FormPage

# The posted field carrying the respondent's choice, and its values.
CHOICE_FIELD = "_privacy"
Choice = Literal["", "remove", "keep"]
CHOICES: tuple[Choice, ...] = ("remove", "keep")
PARADATA_KEY = "privacy_warnings"


def category(kind: str) -> str:
    if kind in CONTACT_KINDS:
        return "contact"
    return "name" if kind == "NAME" else "address"


def page_keys(page: FormPage, free_text: Sequence[str]) -> list[str]:
    """The page's answer keys that hold free text."""
    wanted = set(free_text)
    keys = []
    for question in page.questions:
        if question.name in wanted:
            keys.append(question.name)
        if question.other_choice and question.other_name in wanted:
            keys.append(question.other_name)
    return keys


def _spans(text: str) -> list[Span]:
    if not text.strip() or len(text) > MAX_CHARS:
        return []
    return resolve(find(clean(text)[0]))


def findings(data: Mapping[str, Sequence[str]], keys: Sequence[str]) -> dict[str, list[str]]:
    """Answer key -> the categories found in it ("name", "address", "contact")."""
    found: dict[str, list[str]] = {}
    for key in keys:
        text = " ".join(data.get(key, ()))
        categories = sorted({category(span.kind) for span in _spans(text)})
        if categories:
            found[key] = categories
    return found


def remove_found(text: str) -> str:
    """The answer with every finding cut out, and the spaces and commas it leaves tidied."""
    source = clean(text)[0]
    spans = _spans(source)
    if not spans:
        return source
    parts, pos = [], 0
    for span in spans:
        parts.append(source[pos : span.start])
        pos = span.end
    parts.append(source[pos:])
    tidy = re.sub(r"[ \t]{2,}", " ", "".join(parts))
    tidy = re.sub(r"\s+([,.;:!?])", r"\1", tidy)
    tidy = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", tidy)
    return tidy.strip(" ,;:")


def cleaned(
    data: Mapping[str, Sequence[str]], found: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """The posted data with the findings removed from the flagged answers."""
    out = {key: list(values) for key, values in data.items()}
    for key in found:
        out[key] = [remove_found(value) for value in out.get(key, [])]
    return out


def count(paradata: dict[str, Any], what: str, n: int = 1) -> None:
    """Add to the warnings' tally in the paradata: shown, removed or kept."""
    tally = paradata.setdefault(PARADATA_KEY, {"shown": 0, "removed": 0, "kept": 0})
    tally[what] = int(tally.get(what, 0)) + n
