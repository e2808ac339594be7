"""The XLSForm expression subset surveys use in `relevant`, `constraint` and `calculation`.

Django-free and without eval: an expression is tokenised, parsed once (cached) into a small
tree, and the tree is evaluated against a mapping of answers. Semantics follow XPath 1.0 as
the XLSForm spec (https://xlsform.org, "Relevant", "Constraints", "Formulas") and ODK's
JavaRosa apply them:

- `${name}` is the answer to item `name`; `.` is the answer being checked (constraints).
- An unanswered item (missing key or None) is the empty string: `${age} = ''` is true,
  `${age} > 5` is false (the empty string is NaN as a number).
- `=` and `!=` compare as booleans if either side is a boolean, else as numbers if either
  side is a number, else as strings (XPath 1.0 section 3.4); `<`, `<=`, `>`, `>=` always
  compare numbers.
- A select_multiple answer (a list of choice names) is, as a value, its names joined by
  spaces, the XLSForm convention; `selected()` and `count-selected()` read it as a list.
- Dates ('YYYY-MM-DD', or a date from `today()`/`date()`) count as days since 1970-01-01
  wherever a number is needed, as in JavaRosa, so `. <= today()` and `${d2} - ${d1}` work.

Operators: or, and, = != < <= > >=, + - * div mod, unary -, parentheses. Functions: see
FUNCTIONS below (selected, count-selected, selected-at, string-length, if, not, true, false,
boolean, number, int, string, round, abs, pow, min, max, concat, coalesce, contains,
starts-with, ends-with, substr, regex, today, date, and those real Kobo/ODK forms use:
now, decimal-date-time, format-date, sum, count, count-non-empty, position, once, floor,
ceiling, normalize-space, uuid, boolean-from-string, join, jr:choice-name). ODK paths
(`../x`) parse as PathRef and are resolved by surveys/references.py before evaluation.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from surveys.repeats import POSITION_KEY, ROSTERS_KEY

ERROR_SYNTAX = "expression {expression!r}: {problem}"
ERROR_UNKNOWN_FUNCTION = "unknown function {name}()"
ERROR_ARGUMENT_COUNT = "{name}() takes {expected} argument(s), got {got}"
ERROR_BAD_REGEX = "regex() pattern {pattern!r} is not a valid regular expression: {problem}"
ERROR_TOO_DEEP = "nested too deeply"
ERROR_FIELD = "unexpected {name!r}: a bare name means a choice column, only in choice_filter"
ERROR_PATH = "path {path!r} does not lead to an item of this form"
_QUOTED_REF = re.compile(r"^\s*\$\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\s*$")

EPOCH = date(1970, 1, 1)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
# XPath 1.0 section 4.4, number(): optional whitespace, an optional minus, then Digits
# ('.' Digits?)? | '.' Digits, then whitespace; anything else (exponents, "Infinity",
# "NaN", "1_000", a plus sign) is NaN.
_XPATH_NUMBER = re.compile(r"^[ \t\r\n]*-?(?:\d+(?:\.\d*)?|\.\d+)[ \t\r\n]*$")
# Java's (int) cast, which JavaRosa applies to index and digit arguments.
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

_PATH_NAME = r"[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)*"
_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<ref>\$\{{\s*(?P<refname>[A-Za-z_][A-Za-z0-9_.\-]*)\s*\}})
    # ODK paths: ../x, ../../g/x, ./x, .., current()/../x, /data/g/x (resolved to ${{...}}
    # by surveys/references.py before a form is evaluated).
  | (?P<path>(?:current\(\)/)?\.\.(?:/\.\.)*(?:/{_PATH_NAME})*
      | (?:current\(\)/)?\./(?:\.\./)*{_PATH_NAME}(?:/{_PATH_NAME})*
      | /{_PATH_NAME}(?:/{_PATH_NAME})+)
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<dot>\.)
    # jr:choice-name, and in a choice_filter a translated column (label::English).
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:(?:-|::?)[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)

# Binding power of infix operators (XPath 1.0 precedence, loosest first).
_INFIX_POWER = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}
_UNARY_POWER = 7


class ExpressionError(ValueError):
    """An expression cannot be parsed or evaluated; the message names it and the problem."""


# -- the tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: float | str


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Current:
    pass


@dataclass(frozen=True)
class PathRef:
    """An ODK path reference not yet resolved to an item (surveys/references.py)."""

    path: str


@dataclass(frozen=True)
class Field:
    """A bare name in a choice_filter: the column of that name of the choice tested."""

    name: str


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Literal | Ref | Current | PathRef | Field | Negate | Binary | Call


@dataclass(frozen=True)
class _Token:
    kind: str  # "ref", "path", "number", "string", "op", "dot", "name", "end"
    text: str
    position: int
    end: int = 0


# -- parsing ----------------------------------------------------------------------------


def tokens(expression: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of every token but spaces: what surveys/references.py
    rewrites; raises ExpressionError on a character no token starts with."""
    return [
        (token.kind, token.text, token.position, token.end)
        for token in _tokenise(expression)
        if token.kind != "end"
    ]


def _tokenise(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise _syntax(expression, f"unexpected {expression[position]!r} at {position + 1}")
        kind = match.lastgroup or ""
        if kind == "ref":
            tokens.append(_Token("ref", match.group("refname"), position, match.end()))
        elif kind != "space":
            tokens.append(_Token(kind, match.group(kind), position, match.end()))
        position = match.end()
    tokens.append(_Token("end", "", len(expression)))
    return tokens


class _Parser:
    """A Pratt parser: each infix operator binds by its power in _INFIX_POWER."""

    def __init__(self, expression: str, *, fields: bool = False) -> None:
        self.expression = expression
        self.fields = fields
        self.tokens = _tokenise(expression)
        self.index = 0

    def parse(self) -> Node:
        node = self.expression_(0)
        token = self.peek()
        if token.kind != "end":
            raise _syntax(self.expression, f"unexpected {_show(token)} at {token.position + 1}")
        return node

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != text:
            raise _syntax(self.expression, f"expected {text!r}, found {_show(token)}")

    def expression_(self, min_power: int) -> Node:
        left = self.prefix()
        while True:
            token = self.peek()
            is_operator = token.kind == "op" or (
                token.kind == "name" and token.text in ("and", "or", "div", "mod")
            )
            power = _INFIX_POWER.get(token.text, 0) if is_operator else 0
            if power <= min_power:
                return left
            self.take()
            left = Binary(token.text, left, self.expression_(power))

    def prefix(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return Literal(float(token.text))
        if token.kind == "string":
            return Literal(token.text[1:-1])
        if token.kind == "ref":
            return Ref(token.text)
        if token.kind == "path":
            return PathRef(token.text)
        if token.kind == "dot":
            return Current()
        if token.kind == "op" and token.text == "-":
            return Negate(self.expression_(_UNARY_POWER - 1))
        if token.kind == "op" and token.text == "(":
            inner = self.expression_(0)
            self.expect(")")
            return inner
        if token.kind == "name" and self.peek().text == "(":
            return self.call(token.text)
        if token.kind == "name" and self.fields:
            return Field(token.text)
        raise _syntax(self.expression, f"unexpected {_show(token)} at {token.position + 1}")

    def call(self, name: str) -> Call:
        self.expect("(")
        args: list[Node] = []
        if self.peek().text != ")":
            args.append(self.expression_(0))
            while self.peek().text == ",":
                self.take()
                args.append(self.expression_(0))
        self.expect(")")
        function = FUNCTIONS.get(name)
        if function is None:
            raise _syntax(self.expression, ERROR_UNKNOWN_FUNCTION.format(name=name))
        if not function.accepts(len(args)):
            raise _syntax(
                self.expression,
                ERROR_ARGUMENT_COUNT.format(name=name, expected=function.arity(), got=len(args)),
            )
        return Call(name, tuple(args))


def _show(token: _Token) -> str:
    if token.kind == "end":
        return "the end"
    if token.kind == "ref":
        return repr("${" + token.text + "}")
    return repr(token.text)


def _syntax(expression: str, problem: str) -> ExpressionError:
    return ExpressionError(ERROR_SYNTAX.format(expression=expression, problem=problem))


@lru_cache(maxsize=4096)
def parse(expression: str, *, fields: bool = False) -> Node:
    """The parsed tree of `expression`; raises ExpressionError on a syntax error. With
    `fields`, a bare name is a column of the choice a choice_filter tests."""
    return _Parser(expression, fields=fields).parse()


# -- values -----------------------------------------------------------------------------

# What an expression computes: XPath's boolean, number and string, plus dates (JavaRosa).
Value = bool | float | str | date


def _from_answer(answer: object) -> Value:
    if answer is None:
        return ""
    if isinstance(answer, bool | str | date):
        return answer
    if isinstance(answer, int | float):
        return float(answer)
    if isinstance(answer, list | tuple):
        if answer and all(isinstance(item, dict) for item in answer):
            # A roster used as a value: XPath reads a node set as its first node, and a
            # repeat's node holds no text of its own.
            return ""
        return " ".join(str(item) for item in answer)
    return str(answer)


def _to_boolean(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not math.isnan(value) and value != 0
    if isinstance(value, date):
        return True
    return value != ""


def _to_number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, date):
        return float((value - EPOCH).days)
    as_date = _parse_date(value)
    if as_date is not None:
        return float((as_date - EPOCH).days)
    if _XPATH_NUMBER.match(value) is None:
        return math.nan
    return float(value)


def _to_int(value: Value) -> int:
    """A number as Java's (int) cast makes it: NaN is 0, and out-of-range values clamp."""
    number = _to_number(value)
    if math.isnan(number):
        return 0
    if math.isinf(number):
        return _INT_MAX if number > 0 else _INT_MIN
    return max(_INT_MIN, min(_INT_MAX, math.trunc(number)))


def _to_string(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _format_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _format_number(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer():
        return str(int(number))
    return repr(number)


def _parse_date(text: str) -> date | None:
    match = _ISO_DATE.match(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _choices(value: Value) -> list[str]:
    return _to_string(value).split()


def _to_python(value: Value) -> object:
    """The public result: integral numbers as int, dates as 'YYYY-MM-DD'."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- evaluation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What some functions need beyond the answers: jr:choice-name() the choice labels of
    an item, a choice_filter the columns of the choice it tests, now() and today() the
    clock (the server's, in UTC, unless given)."""

    choice_label: Callable[[str, str], str] | None = None  # (item, choice name) -> label
    fields: Mapping[str, str] | None = None
    now: datetime | None = None


_NO_CONTEXT = Context()


@dataclass(frozen=True)
class _Scope:
    expression: str
    answers: Mapping[str, object]
    current: object
    context: Context = _NO_CONTEXT


def _evaluate(node: Node, scope: _Scope) -> Value:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ref):
        return _from_answer(scope.answers.get(node.name))
    if isinstance(node, Current):
        return _from_answer(scope.current)
    if isinstance(node, Field):
        if scope.context.fields is None:
            raise _syntax(scope.expression, ERROR_FIELD.format(name=node.name))
        return scope.context.fields.get(node.name, "")
    if isinstance(node, PathRef):
        raise _syntax(scope.expression, ERROR_PATH.format(path=node.path))
    if isinstance(node, Negate):
        return -_to_number(_evaluate(node.operand, scope))
    if isinstance(node, Binary):
        return _binary(node, scope)
    function = FUNCTIONS[node.name]
    if function.lazy is not None:
        return function.lazy(node.args, scope)
    return function.apply(scope, [_evaluate(arg, scope) for arg in node.args])


def _binary(node: Binary, scope: _Scope) -> Value:
    # `and`/`or` short-circuit, as XPath specifies.
    if node.op == "and":
        return _to_boolean(_evaluate(node.left, scope)) and _to_boolean(
            _evaluate(node.right, scope)
        )
    if node.op == "or":
        return _to_boolean(_evaluate(node.left, scope)) or _to_boolean(_evaluate(node.right, scope))
    left = _evaluate(node.left, scope)
    right = _evaluate(node.right, scope)
    if node.op in ("=", "!="):
        return _equals(left, right) == (node.op == "=")
    if node.op in ("<", "<=", ">", ">="):
        return _relational(node.op, _to_number(left), _to_number(right))
    return _arithmetic(node.op, _to_number(left), _to_number(right))


def _equals(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return _to_boolean(left) == _to_boolean(right)
    if isinstance(left, float | date) or isinstance(right, float | date):
        # NaN never equals anything, as in XPath.
        return _to_number(left) == _to_number(right)
    return _to_string(left) == _to_string(right)


def _relational(op: str, left: float, right: float) -> bool:
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def _arithmetic(op: str, left: float, right: float) -> float:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "div":
        if right == 0:
            # XPath division is IEEE 754: x div 0 is +-Infinity, 0 div 0 is NaN.
            if left == 0 or math.isnan(left):
                return math.nan
            return math.copysign(math.inf, left) * math.copysign(1, right)
        return left / right
    # XPath `mod` truncates toward zero like Java's %, which is math.fmod, not Python's %.
    if right == 0 or math.isinf(left):
        return math.nan
    return math.fmod(left, right)


# -- functions --------------------------------------------------------------------------

_Apply = Callable[[_Scope, list[Value]], Value]
_Lazy = Callable[[tuple[Node, ...], _Scope], Value]


@dataclass(frozen=True)
class Function:
    min_args: int
    max_args: int | None  # None: any number
    apply: _Apply
    lazy: _Lazy | None = None

    def accepts(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)

    def arity(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args}"
        if self.max_args == self.min_args:
            return str(self.min_args)
        return f"{self.min_args} to {self.max_args}"


def _if(args: tuple[Node, ...], scope: _Scope) -> Value:
    chosen = args[1] if _to_boolean(_evaluate(args[0], scope)) else args[2]
    return _evaluate(chosen, scope)


def _coalesce(args: tuple[Node, ...], scope: _Scope) -> Value:
    for arg in args:
        value = _evaluate(arg, scope)
        if _to_string(value) != "":
            return value
    return ""


def _int(value: Value) -> float:
    number = _to_number(value)
    if math.isnan(number) or math.isinf(number):
        return number
    return float(math.trunc(number))


def _round(args: list[Value]) -> float:
    number = _to_number(args[0])
    digits = _to_int(args[1]) if len(args) > 1 else 0
    if math.isnan(number) or math.isinf(number):
        return number
    # Past the ~17 significant digits a float holds, rounding changes nothing; at the
    # other end, rounding to a place above 10^308 gives 0 (and 10.0**digits would overflow
    # or reach zero, so those ends are answered here).
    if digits > 340:
        return number
    if digits < -340:
        return 0.0
    scale = 10.0**digits
    scaled = number * scale
    if math.isinf(scaled) or scale == 0:
        return number if math.isinf(scaled) else 0.0
    # XPath rounds halves up (toward +Infinity), not to even as Python's round() does.
    return math.floor(scaled + 0.5) / scale


def _pow(args: list[Value]) -> float:
    """Java's Math.pow (JavaRosa): a real result or NaN, never a complex number."""
    base, exponent = _to_number(args[0]), _to_number(args[1])
    if exponent == 0:
        return 1.0
    if math.isnan(base) or math.isnan(exponent):
        return math.nan
    odd_integer = exponent.is_integer() and abs(exponent) < 2**53 and int(exponent) % 2 == 1
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and odd_integer else math.inf
    except ValueError:
        if base == 0:
            # 0 to a negative power: +-Infinity, the sign of -0.0 kept for odd powers.
            return math.copysign(math.inf, base) if odd_integer else math.inf
        # A negative base to a fractional power has no real value.
        return math.nan


def _substr(args: list[Value]) -> str:
    # ODK's substr(string, start[, end]) is zero-based with an exclusive end.
    text = _to_string(args[0])
    start = _to_int(args[1])
    end = _to_int(args[2]) if len(args) > 2 else len(text)
    return text[max(start, 0) : max(end, 0)]


def _regex(scope: _Scope, args: list[Value]) -> bool:
    pattern = _to_string(args[1])
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise _syntax(
            scope.expression, ERROR_BAD_REGEX.format(pattern=pattern, problem=exc)
        ) from exc
    # JavaRosa uses Matcher.find(): the pattern may match anywhere unless anchored.
    return compiled.search(_to_string(args[0])) is not None


def _date(value: Value) -> Value:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return _parse_date(value) or ""
    number = _to_number(value)
    if math.isnan(number) or math.isinf(number):
        return ""
    try:
        return EPOCH + timedelta(days=math.floor(number))
    except OverflowError:
        # Outside the years 1 to 9999: no date, as for any other invalid date.
        return ""


def _now(scope: _Scope) -> datetime:
    return scope.context.now or datetime.now(UTC)


def _decimal_date_time(value: Value) -> float:
    """Days since 1970-01-01 with the time of day as a fraction (JavaRosa)."""
    if isinstance(value, date | float | bool):
        return _to_number(value)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return _to_number(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() / 86400


def _choice_name(scope: _Scope, args: list[Value]) -> str:
    """jr:choice-name(value, '${item}'): the label of choice `value` of the item's list."""
    match = _QUOTED_REF.match(_to_string(args[1]))
    value = _to_string(args[0])
    if match is None or scope.context.choice_label is None:
        return value
    return scope.context.choice_label(match[1], value)


def _format_date(args: list[Value]) -> str:
    moment = args[0] if isinstance(args[0], date) else _date(args[0])
    if not isinstance(moment, date):
        return ""
    pattern = _to_string(args[1])
    # The subset of ODK's format-date() codes forms use: %Y %y %m %n %d %e %b %a.
    codes = {
        "%Y": f"{moment.year:04d}",
        "%y": f"{moment.year % 100:02d}",
        "%m": f"{moment.month:02d}",
        "%n": str(moment.month),
        "%d": f"{moment.day:02d}",
        "%e": str(moment.day),
        "%b": moment.strftime("%b"),
        "%a": moment.strftime("%a"),
    }
    return re.sub(r"%[YymndebA-Za]", lambda m: codes.get(m[0], m[0]), pattern)


def _safe(function: Callable[..., float], *numbers: float) -> float:
    """A math function as Java computes it: NaN for a domain error, infinity on overflow."""
    try:
        return float(function(*numbers))
    except ValueError:
        return math.nan
    except OverflowError:
        return math.inf


def _math(function: Callable[[float], float]) -> Callable[[list[Value]], float]:
    return lambda args: _safe(function, _to_number(args[0]))


_MATH: dict[str, Callable[[float], float]] = {
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
}


def _node_set(node: Node, scope: _Scope) -> list[object] | None:
    """The nodes `node` names when it names a roster (its instances) or an item inside
    one (that item in every instance, None where unanswered); None for anything else.

    Rosters are stored as lists of instances (surveys/repeats.py), so an item of one is
    found by looking into the lists among the answers; an instance's own namespace holds
    its items directly, and they are single nodes there."""
    if not isinstance(node, Ref):
        return None
    owners = scope.answers.get(ROSTERS_KEY)
    if isinstance(owners, Mapping) and node.name in owners:
        entries = scope.answers.get(owners[node.name])
        if isinstance(entries, list):
            return [item.get(node.name) for item in entries if isinstance(item, dict)]
    if node.name in scope.answers:
        value = scope.answers[node.name]
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return list(value)
        return None
    for value in scope.answers.values():
        if (
            isinstance(value, list)
            and value
            and all(isinstance(item, dict) for item in value)
            and any(node.name in item for item in value)
        ):
            return [item.get(node.name) for item in value]
    return None


def _count(args: tuple[Node, ...], scope: _Scope) -> Value:
    nodes = _node_set(args[0], scope)
    return 1.0 if nodes is None else float(len(nodes))


def _count_non_empty(args: tuple[Node, ...], scope: _Scope) -> Value:
    nodes = _node_set(args[0], scope)
    if nodes is None:
        return 1.0 if _to_string(_evaluate(args[0], scope)) else 0.0
    return float(sum(1 for value in nodes if _to_string(_from_answer(value))))


def _sum(args: tuple[Node, ...], scope: _Scope) -> Value:
    """The sum over a repeat's instances; unanswered ones add nothing (a roster member
    whose age was skipped does not make the household's total unknown)."""
    nodes = _node_set(args[0], scope)
    if nodes is None:
        return _to_number(_evaluate(args[0], scope))
    return float(sum(_to_number(_from_answer(v)) for v in nodes if v not in (None, "")))


def _position(_args: tuple[Node, ...], scope: _Scope) -> Value:
    # Inside a roster instance its number (from 1) is in the namespace; elsewhere 1.
    return float(str(scope.answers.get(POSITION_KEY, 1)))


def _selected_at(args: list[Value]) -> str:
    names = _choices(args[0])
    index = _to_int(args[1])
    return names[index] if 0 <= index < len(names) else ""


def _numbers(args: Sequence[Value]) -> list[float]:
    return [_to_number(arg) for arg in args]


def _extreme(args: list[Value], pick: Callable[[list[float]], float]) -> float:
    numbers = _numbers(args)
    return math.nan if any(math.isnan(n) for n in numbers) else pick(numbers)


def _plain(min_args: int, max_args: int | None, body: Callable[[list[Value]], Value]) -> Function:
    return Function(min_args, max_args, lambda _scope, args: body(args))


def _no_apply(_scope: _Scope, _args: list[Value]) -> Value:
    raise AssertionError("lazy functions are evaluated through Function.lazy")


FUNCTIONS: dict[str, Function] = {
    "selected": _plain(2, 2, lambda a: _to_string(a[1]).strip() in _choices(a[0])),
    "count-selected": _plain(1, 1, lambda a: float(len(_choices(a[0])))),
    "selected-at": _plain(2, 2, _selected_at),
    "string-length": Function(
        0,
        1,
        lambda scope, a: float(len(_to_string(a[0] if a else _from_answer(scope.current)))),
    ),
    "if": Function(3, 3, _no_apply, lazy=_if),
    "coalesce": Function(2, None, _no_apply, lazy=_coalesce),
    "not": _plain(1, 1, lambda a: not _to_boolean(a[0])),
    "true": _plain(0, 0, lambda _a: True),
    "false": _plain(0, 0, lambda _a: False),
    "boolean": _plain(1, 1, lambda a: _to_boolean(a[0])),
    "number": _plain(1, 1, lambda a: _to_number(a[0])),
    "int": _plain(1, 1, lambda a: _int(a[0])),
    "string": _plain(1, 1, lambda a: _to_string(a[0])),
    "round": _plain(1, 2, _round),
    "abs": _plain(1, 1, lambda a: abs(_to_number(a[0]))),
    "pow": _plain(2, 2, _pow),
    "min": _plain(1, None, lambda a: _extreme(a, min)),
    "max": _plain(1, None, lambda a: _extreme(a, max)),
    "concat": _plain(0, None, lambda a: "".join(_to_string(v) for v in a)),
    "contains": _plain(2, 2, lambda a: _to_string(a[1]) in _to_string(a[0])),
    "starts-with": _plain(2, 2, lambda a: _to_string(a[0]).startswith(_to_string(a[1]))),
    "ends-with": _plain(2, 2, lambda a: _to_string(a[0]).endswith(_to_string(a[1]))),
    "substr": _plain(2, 3, _substr),
    "regex": Function(2, 2, _regex),
    "today": Function(0, 0, lambda scope, _a: _now(scope).date()),
    "now": Function(0, 0, lambda scope, _a: _now(scope).isoformat(timespec="seconds")),
    "decimal-date-time": _plain(1, 1, lambda a: _decimal_date_time(a[0])),
    "format-date": _plain(2, 2, _format_date),
    "sum": Function(1, 1, _no_apply, lazy=_sum),
    "count": Function(1, 1, _no_apply, lazy=_count),
    "count-non-empty": Function(1, 1, _no_apply, lazy=_count_non_empty),
    "position": Function(0, 1, _no_apply, lazy=_position),
    "once": _plain(1, 1, lambda a: a[0]),
    "jr:choice-name": Function(2, 2, _choice_name),
    "floor": _plain(
        1,
        1,
        lambda a: (
            float(math.floor(_to_number(a[0])))
            if math.isfinite(_to_number(a[0]))
            else _to_number(a[0])
        ),
    ),
    "ceiling": _plain(
        1,
        1,
        lambda a: (
            float(math.ceil(_to_number(a[0])))
            if math.isfinite(_to_number(a[0]))
            else _to_number(a[0])
        ),
    ),
    "normalize-space": _plain(1, 1, lambda a: " ".join(_to_string(a[0]).split())),
    "uuid": _plain(0, 1, lambda _a: f"uuid:{uuid.uuid4()}"),
    "boolean-from-string": _plain(1, 1, lambda a: _to_string(a[0]) in ("true", "1")),
    "join": _plain(1, None, lambda a: _to_string(a[0]).join(_to_string(v) for v in a[1:])),
    "date": _plain(1, 1, lambda a: _date(a[0])),
    **{name: _plain(1, 1, _math(function)) for name, function in _MATH.items()},
    "atan2": _plain(2, 2, lambda a: _safe(math.atan2, _to_number(a[0]), _to_number(a[1]))),
    "exp10": _plain(1, 1, lambda a: _safe(lambda x: 10.0**x, _to_number(a[0]))),
    "pi": _plain(0, 0, lambda _a: math.pi),
}


# -- public API -------------------------------------------------------------------------


def paths(expression: str) -> set[str]:
    """ODK path references not yet resolved (surveys/references.py resolves them)."""
    if not expression.strip():
        return set()
    return {node.path for node in _walk(parse(expression)) if isinstance(node, PathRef)}


def _walk(node: Node) -> list[Node]:
    nodes: list[Node] = [node]
    if isinstance(node, Negate):
        nodes += _walk(node.operand)
    elif isinstance(node, Binary):
        nodes += _walk(node.left) + _walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            nodes += _walk(arg)
    return nodes


def references(expression: str, *, fields: bool = False) -> set[str]:
    """Item names referenced via ${name} (also as jr:choice-name's quoted second argument);
    raises ExpressionError on a syntax error."""
    if not expression.strip():
        return set()
    try:
        names = set()
        for node in _walk(parse(expression, fields=fields)):
            if isinstance(node, Ref):
                names.add(node.name)
            elif isinstance(node, Literal) and isinstance(node.value, str):
                quoted = _QUOTED_REF.match(node.value)
                if quoted:
                    names.add(quoted[1])
        return names
    except RecursionError as exc:
        # Parsing and walking recurse once per nesting level; Python's stack bounds that.
        raise _syntax(expression, ERROR_TOO_DEEP) from exc


def evaluate(
    expression: str,
    answers: Mapping[str, object],
    *,
    current: object = None,
    context: Context = _NO_CONTEXT,
) -> object:
    """The value of `expression`: bool, int or float, or str (dates as 'YYYY-MM-DD')."""
    if not expression.strip():
        return ""
    scope = _Scope(expression=expression, answers=answers, current=current, context=context)
    try:
        tree = parse(expression, fields=context.fields is not None)
        return _to_python(_evaluate(tree, scope))
    except RecursionError as exc:
        raise _syntax(expression, ERROR_TOO_DEEP) from exc


def is_true(
    expression: str,
    answers: Mapping[str, object],
    *,
    current: object = None,
    context: Context = _NO_CONTEXT,
) -> bool:
    """XPath boolean() of the expression; an empty expression is true (no condition)."""
    if not expression.strip():
        return True
    scope = _Scope(expression=expression, answers=answers, current=current, context=context)
    try:
        tree = parse(expression, fields=context.fields is not None)
        return _to_boolean(_evaluate(tree, scope))
    except RecursionError as exc:
        raise _syntax(expression, ERROR_TOO_DEEP) from exc
