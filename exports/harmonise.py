"""Harmonised twins: an item tied to an item-bank concept, coded as WVS-7 and ESS code it.

Rules (docs/item-bank.md, "How a twin is made"):
- The item is asked in one source's format (`wvs7` or `ess`): named by the question's
  `extra["harmonise_source"]`, else the source whose codes contain all the item's codes,
  else the source that has recodes to the other.
- The twin in the item's own format is the item itself (exact). The other twin applies the
  concept's recode `from: <source>.<id>` `to: <target>.<id>`: a `map` (keys are codes or
  inclusive "a..b" ranges; a null target = no equivalent, exported as missing) or a
  `transform` (arithmetic in x, read by the small parser below, never `eval`). A `rule`
  in prose cannot be applied: no twin, and the codebook says why.
- Internal missing codes (< 0) pass through unchanged.
- Value labels in the export's language where the item bank has them (a category's
  `<language>: text` beside its English `label`); the catalogue falls back on the
  questionnaire's own label through an exact one-to-one recode, then on English.
Django-free; its notes are Phrases, translated by the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exports.dataset import Phrase, gettext_noop

SOURCES = ("wvs7", "ess")
SOURCE_ID_FIELD = {"wvs7": "item", "ess": "variable"}
SOURCE_TITLE = {"wvs7": "WVS-7", "ess": "ESS"}
SCALE_CODES = {"scale_0_10": range(11), "scale_1_10": range(1, 11)}
# A recode target with no equivalent: "Break-off or technical missing" (docs/methods.md 7.6).
NO_EQUIVALENT = -5

NOTE_EXACT = gettext_noop("asked in this format: exact")
NOTE_NO_EQUIVALENT = gettext_noop("{source} has no equivalent item")
NOTE_NO_RECODE = gettext_noop(
    "no machine-readable recode from {source} {source_id} to {target} {target_id}"
)
NOTE_NO_FORMAT = gettext_noop("no WVS-7 or ESS format matches this item's codes: no twins")
NOTE_RECODED = gettext_noop("recoded from {source} {source_id} ({exactness}; {verified}): {basis}")
EXACT = gettext_noop("exact")
APPROXIMATE = gettext_noop("approximate")
VERIFIED_RULE = gettext_noop("verified rule")
UNVERIFIED_RULE = gettext_noop("unverified rule")

ERROR_EXPRESSION = "cannot read the arithmetic expression {expression!r}: {problem}"

Recoder = Callable[[float], float]


class ExpressionError(ValueError):
    """A `transform` or `normalise_0_1` expression is not plain arithmetic in x."""


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?|\.\d+)|(x)|([-+*/()]))")


def parse_arithmetic(expression: str) -> Recoder:
    """Numbers, x, + - * /, unary minus and parentheses; returns f(x)."""
    tokens = _tokens(expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ExpressionError(
                ERROR_EXPRESSION.format(expression=expression, problem="it ends too early")
            )
        position += 1
        return tokens[position - 1]

    def expr() -> Recoder:
        left = term()
        while peek() in ("+", "-"):
            op, right, prev = take(), term(), left
            left = _combine(prev, right, op)
        return left

    def term() -> Recoder:
        left = factor()
        while peek() in ("*", "/"):
            op, right, prev = take(), factor(), left
            left = _combine(prev, right, op)
        return left

    def factor() -> Recoder:
        token = take()
        if token == "-":  # noqa: S105
            inner = factor()
            return lambda x: -inner(x)
        if token == "(":  # noqa: S105
            inner = expr()
            if take() != ")":
                raise ExpressionError(
                    ERROR_EXPRESSION.format(expression=expression, problem="a ')' is missing")
                )
            return inner
        if token == "x":  # noqa: S105
            return lambda x: x
        if token in "+*/)":  # noqa: S105
            raise ExpressionError(
                ERROR_EXPRESSION.format(expression=expression, problem=f"unexpected {token!r}")
            )
        value = float(token)
        return lambda _x: value

    result = expr()
    if position != len(tokens):
        raise ExpressionError(
            ERROR_EXPRESSION.format(expression=expression, problem=f"unexpected {peek()!r}")
        )
    return result


def _tokens(expression: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            problem = f"unexpected {text[position:].strip()[:1]!r}"
            raise ExpressionError(ERROR_EXPRESSION.format(expression=expression, problem=problem))
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    if not tokens:
        raise ExpressionError(ERROR_EXPRESSION.format(expression=expression, problem="it is empty"))
    return tokens


def _combine(left: Recoder, right: Recoder, op: str) -> Recoder:
    if op == "+":
        return lambda x: left(x) + right(x)
    if op == "-":
        return lambda x: left(x) - right(x)
    if op == "*":
        return lambda x: left(x) * right(x)
    return lambda x: left(x) / right(x)


def map_recoder(mapping: Mapping[Any, Any]) -> Recoder:
    """A recode `map`: code or "a..b" range -> target code (None: no equivalent)."""
    exact: dict[float, float] = {}
    ranges: list[tuple[float, float, float]] = []
    for key, target in mapping.items():
        value = float(NO_EQUIVALENT) if target is None else float(target)
        text = str(key)
        if ".." in text:
            low, high = (float(part) for part in text.split("..", 1))
            ranges.append((low, high, value))
        else:
            exact[float(text)] = value

    def recode(x: float) -> float:
        if x in exact:
            return exact[x]
        for low, high, value in ranges:
            if low <= x <= high:
                return value
        return float(NO_EQUIVALENT)

    return recode


@dataclass(frozen=True)
class TwinPlan:
    source: str  # the item's own format
    target: str  # wvs7 or ess
    target_id: str  # Q57, ppltrst
    value_labels: dict[int, str]
    recode: Recoder
    notes: tuple[str, ...]
    # Codes whose label the item bank gives in the export's language.
    in_language: frozenset[int] = frozenset()
    # The recode loses nothing (the item bank's `exact`; the item's own format is exact).
    exact: bool = False

    def apply(self, value: float) -> float:
        # Internal missing codes stay what they are.
        return value if value < 0 else self.recode(value)


def category_labels(block: Mapping[str, Any], language: str) -> tuple[dict[int, str], set[int]]:
    """A source block's category labels in `language` where given, else English; and the
    codes whose label is in `language`."""
    labels: dict[int, str] = {}
    in_language: set[int] = set()
    for category in block.get("categories") or []:
        code = int(category["code"])
        own = category.get(language)
        if isinstance(own, str) and own:
            labels[code] = own
            in_language.add(code)
        else:
            labels[code] = str(category.get("label") or category.get("en") or code)
            if language == "en":
                in_language.add(code)
    return labels, in_language


def plan_twins(
    definition: Mapping[str, Any],
    item_codes: Sequence[int],
    *,
    hint: str = "",
    language: str = "en",
) -> tuple[list[TwinPlan], list[str]]:
    """The twins an item gets, and notes on twins it cannot get."""
    blocks = {s: definition.get(s) or {} for s in SOURCES}
    harmonisation = definition.get("harmonisation") or {}
    recodes = harmonisation.get("recodes") or []
    source = _source(blocks, recodes, item_codes, hint)
    plans: list[TwinPlan] = []
    missing: list[str] = []
    if source is None:
        return plans, [Phrase(NOTE_NO_FORMAT)]
    source_id = str(blocks[source].get(SOURCE_ID_FIELD[source]))
    common = tuple(n for n in (harmonisation.get("notes"),) if n)
    for target in SOURCES:
        block = blocks[target]
        if not block:
            missing.append(Phrase(NOTE_NO_EQUIVALENT, source=SOURCE_TITLE[target]))
            continue
        target_id = str(block.get(SOURCE_ID_FIELD[target]))
        labels, in_language = category_labels(block, language)
        if target == source:
            plans.append(
                TwinPlan(
                    source,
                    target,
                    target_id,
                    labels,
                    lambda x: x,
                    (Phrase(NOTE_EXACT),),
                    frozenset(in_language),
                    exact=True,
                )
            )
            continue
        rule = next(
            (
                r
                for r in recodes
                if r.get("from") == f"{source}.{source_id}"
                and r.get("to") == f"{target}.{target_id}"
            ),
            None,
        )
        recoder = _recoder(rule) if rule else None
        if rule is None or recoder is None:
            missing.append(
                Phrase(
                    NOTE_NO_RECODE,
                    source=SOURCE_TITLE[source],
                    source_id=source_id,
                    target=SOURCE_TITLE[target],
                    target_id=target_id,
                )
            )
            continue
        note = Phrase(
            NOTE_RECODED,
            source=SOURCE_TITLE[source],
            source_id=source_id,
            exactness=Phrase(EXACT if rule.get("exact") else APPROXIMATE),
            verified=Phrase(VERIFIED_RULE if rule.get("verified") else UNVERIFIED_RULE),
            basis=rule.get("basis", ""),
        )
        plans.append(
            TwinPlan(
                source,
                target,
                target_id,
                labels,
                recoder,
                (note, *common),
                frozenset(in_language),
                exact=bool(rule.get("exact")),
            )
        )
    return plans, missing


def _recoder(rule: Mapping[str, Any]) -> Recoder | None:
    if isinstance(rule.get("map"), Mapping):
        return map_recoder(rule["map"])
    if isinstance(rule.get("transform"), str):
        return parse_arithmetic(rule["transform"])
    return None


def _codes_of(block: Mapping[str, Any]) -> set[int]:
    scale = SCALE_CODES.get(str(block.get("response_type")))
    if scale is not None:
        return set(scale)
    return {int(c["code"]) for c in block.get("categories") or []}


def _source(
    blocks: Mapping[str, Mapping[str, Any]],
    recodes: Sequence[Mapping[str, Any]],
    item_codes: Sequence[int],
    hint: str,
) -> str | None:
    if hint in SOURCES and blocks[hint]:
        return hint
    present = [s for s in SOURCES if blocks[s]]
    if item_codes:
        matching = [s for s in present if set(item_codes) <= _codes_of(blocks[s])]
        if not matching:
            return None
        # The format whose code set the item fills most exactly (a 1/2 item is the WVS
        # binary, not two points of the ESS 0-10 scale).
        return min(matching, key=lambda s: len(_codes_of(blocks[s]) - set(item_codes)))
    with_recodes = [
        s for s in present if any(str(r.get("from", "")).startswith(f"{s}.") for r in recodes)
    ]
    candidates = with_recodes or present
    return candidates[0] if candidates else None
