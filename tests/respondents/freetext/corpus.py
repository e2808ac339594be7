"""Read the labelled corpus (see corpus/README.md) and score a scrubber against it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from respondents.freetext.scrub import scrub

HERE = Path(__file__).parent / "corpus"
MARK = re.compile(r"\[\[([NAC]):(.+?)\]\]|\{\{(.+?)\}\}")
KINDS = {"N": "name", "A": "address", "C": "contact"}
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Answer:
    source: str
    text: str
    # (kind, start, end): kind is name, address, contact or figure.
    labels: list[tuple[str, int, int]]

    @property
    def ordinary(self) -> bool:
        return not any(kind != "figure" for kind, _, _ in self.labels)


def load() -> list[Answer]:
    return [
        parse(path.stem, line)
        for path in sorted(HERE.glob("*.txt"))
        for line in path.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def parse(source: str, line: str) -> Answer:
    text, labels, pos = [], [], 0
    length = 0
    for m in MARK.finditer(line):
        plain = line[pos : m.start()]
        text.append(plain)
        length += len(plain)
        inner = m.group(2) if m.group(1) else m.group(3)
        kind = KINDS[m.group(1)] if m.group(1) else "figure"
        labels.append((kind, length, length + len(inner)))
        text.append(inner)
        length += len(inner)
        pos = m.end()
    text.append(line[pos:])
    return Answer(source, "".join(text), labels)


@dataclass
class Score:
    found: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    ordinary_changed: int = 0
    ordinary: int = 0
    misses: list[str] = field(default_factory=list)
    false_hits: list[str] = field(default_factory=list)

    def recall(self, kind: str) -> float:
        return self.found[kind] / self.total[kind] if self.total[kind] else 1.0

    @property
    def changed_share(self) -> float:
        return self.ordinary_changed / self.ordinary if self.ordinary else 0.0


def covered(spans: list[tuple[int, int]], start: int, end: int, text: str) -> bool:
    """Every word of text[start:end] lies inside a finding."""
    for word in WORD.finditer(text, start, end):
        if not any(s <= word.start() and word.end() <= e for s, e in spans):
            return False
    return True


def touched(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def evaluate(answers: list[Answer]) -> Score:
    score = Score()
    for answer in answers:
        result = scrub(answer.text)
        # The corpus has no control characters, so offsets in result.source are the text's.
        spans = [(s.start, s.end) for s in result.spans]
        if answer.ordinary:
            score.ordinary += 1
        for kind, start, end in answer.labels:
            score.total[kind] += 1
            if kind == "figure":
                if not touched(spans, start, end):
                    score.found[kind] += 1
                else:
                    score.false_hits.append(f"figure removed: {answer.text!r} -> {result.text!r}")
            elif covered(spans, start, end, answer.text):
                score.found[kind] += 1
            else:
                score.misses.append(f"{kind} missed: {answer.text!r} -> {result.text!r}")
        if answer.ordinary and result.text != answer.text:
            score.ordinary_changed += 1
            score.false_hits.append(f"ordinary changed: {answer.text!r} -> {result.text!r}")
    return score
