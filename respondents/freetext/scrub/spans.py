"""A finding: where it is in the answer and what kind of thing it is."""

from __future__ import annotations

from dataclasses import dataclass

# Kind -> the tag that replaces it in released text.
TAGS = {
    "NAME": "<NAME>",
    "ADDRESS": "<ADDRESS>",
    "EMAIL": "<EMAIL>",
    "PHONE": "<PHONE>",
    "TELEGRAM": "<TELEGRAM>",
    "URL": "<URL>",
    "IP": "<IP>",
    "CARD": "<CARD>",
    "ID_NUMBER": "<ID_NUMBER>",
    "REDACTED": "<REDACTED>",
}
CONTACT_KINDS = frozenset({"EMAIL", "PHONE", "TELEGRAM", "URL", "IP", "CARD", "ID_NUMBER"})
# Contacts win over addresses, addresses over names, when two findings overlap.
PRIORITY = {"NAME": 0, "ADDRESS": 1, "REDACTED": 3} | dict.fromkeys(CONTACT_KINDS, 2)


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    kind: str


def resolve(spans: list[Span]) -> list[Span]:
    """Overlapping findings joined into one span of the strongest kind, in text order."""
    out: list[Span] = []
    for span in sorted(spans):
        if span.end <= span.start:
            continue
        if out and span.start < out[-1].end:
            last = out[-1]
            kind = max(last.kind, span.kind, key=lambda k: PRIORITY.get(k, 0))
            out[-1] = Span(last.start, max(last.end, span.end), kind)
        else:
            out.append(span)
    return out


def replace(text: str, spans: list[Span]) -> str:
    parts, pos = [], 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(TAGS.get(span.kind, "<REDACTED>"))
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)
