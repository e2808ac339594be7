"""The XLSForm expression subset, against the cases the XLSForm spec (xlsform.org) documents."""

import math
from datetime import UTC, datetime

import pytest

from surveys.expressions import ExpressionError, evaluate, is_true, references
from surveys.formspec import FormError
from surveys.xlsform import read_xlsform
from tests.surveys.forms import SURVEY, write_form

# -- relevant: the spec's examples -------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "expression", "answers", "expected"),
    [
        ("select_one equals", "${has_child} = 'yes'", {"has_child": "yes"}, True),
        ("select_one differs", "${has_child} = 'yes'", {"has_child": "no"}, False),
        ("unanswered is not yes", "${has_child} = 'yes'", {}, False),
        ("number greater", "${age} > 18", {"age": 21}, True),
        ("number not greater", "${age} > 18", {"age": 18}, False),
        ("unanswered number compares false", "${age} > 18", {"age": None}, False),
        ("unanswered equals empty string", "${age} = ''", {}, True),
        ("answered differs from empty", "${age} != ''", {"age": 0}, True),
        ("and", "${age} >= 18 and ${consent} = 'yes'", {"age": 30, "consent": "yes"}, True),
        ("or", "${a} = 'x' or ${b} = 'y'", {"a": "n", "b": "y"}, True),
        ("not", "not(${a} = 'x')", {"a": "x"}, False),
        ("selected", "selected(${colors}, 'red')", {"colors": ["red", "blue"]}, True),
        ("not selected", "selected(${colors}, 'green')", {"colors": ["red", "blue"]}, False),
        ("selected on unanswered", "selected(${colors}, 'red')", {}, False),
        ("selected on space-joined string", "selected(${c}, 'b')", {"c": "a b"}, True),
        ("count-selected", "count-selected(${colors}) >= 2", {"colors": ["r", "b"]}, True),
        ("select_multiple as value", "${c} = 'a b'", {"c": ["a", "b"]}, True),
        ("parentheses", "(${a} = 1 or ${a} = 2) and ${b} = 3", {"a": 2, "b": 3}, True),
        ("decimal", "${w} < 2.5", {"w": 2.25}, True),
    ],
)
def test_relevant_expressions(_case, expression, answers, expected):
    assert is_true(expression, answers) is expected


# -- constraint: `.` is the value being checked --------------------------------------------


@pytest.mark.parametrize(
    ("_case", "expression", "current", "expected"),
    [
        ("range inside", ". >= 0 and . <= 120", 35, True),
        ("range outside", ". >= 0 and . <= 120", 121, False),
        ("age in months", ". <= 72", 72, True),
        ("string-length", "string-length(.) <= 5", "hello", True),
        ("string-length too long", "string-length(.) <= 5", "hello!", False),
        ("string-length counts characters", "string-length(.) = 6", "Привет", True),
        ("string-length of current by default", "string-length() = 3", "abc", True),
        ("regex", "regex(., '^[0-9]{3}$')", "123", True),
        ("regex mismatch", "regex(., '^[0-9]{3}$')", "12a", False),
        ("at most two selected", "count-selected(.) <= 2", ["a", "b", "c"], False),
        ("date not in the future", ". <= today()", "2001-05-17", True),
        ("date in the future", ". <= today()", "2999-01-01", False),
        (
            "not the none choice with others",
            "not(selected(., 'none') and count-selected(.) > 1)",
            ["none", "a"],
            False,
        ),
    ],
)
def test_constraint_expressions(_case, expression, current, expected):
    assert is_true(expression, {}, current=current) is expected


# -- values and XPath rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "expression", "answers", "expected"),
    [
        ("precedence", "1 + 2 * 3", {}, 7),
        ("left associative minus", "10 - 2 - 3", {}, 5),
        ("unary minus", "-${a} + 1", {"a": 3}, -2),
        ("div", "7 div 2", {}, 3.5),
        ("mod truncates like XPath", "-7 mod 3", {}, -1),
        ("mod with negative divisor", "7 mod -3", {}, 1),
        ("int truncates", "int(-3.7)", {}, -3),
        ("round half up", "round(2.5)", {}, 3),
        ("round digits", "round(3.14159, 2)", {}, 3.14),
        ("if true branch", "if(${a} > 1, 'big', 'small')", {"a": 5}, "big"),
        ("if false branch", "if(${a} > 1, 'big', 'small')", {"a": 0}, "small"),
        ("concat", "concat(${first}, ' ', ${last})", {"first": "A", "last": "B"}, "A B"),
        ("coalesce", "coalesce(${a}, ${b})", {"b": "x"}, "x"),
        ("number of string", "number('12') + 1", {}, 13),
        ("string of number", "string(${a})", {"a": 2.0}, "2"),
        ("string vs number equality is numeric", "'2.0' = 2", {}, True),
        ("string vs string equality is textual", "'2.0' = '2'", {}, False),
        ("boolean vs string uses boolean", "true() = 'false'", {}, True),
        ("date arithmetic in days", "${d2} - ${d1}", {"d1": "2024-01-01", "d2": "2024-03-01"}, 60),
        ("dates compare", "${d1} < ${d2}", {"d1": "2024-01-01", "d2": "2024-03-01"}, True),
        ("selected-at", "selected-at(${c}, 1)", {"c": ["a", "b"]}, "b"),
        ("substr zero based", "substr('abcdef', 1, 3)", {}, "bc"),
        ("max", "max(1, ${a}, 3)", {"a": 7}, 7),
        ("contains", "contains(${t}, 'ell')", {"t": "hello"}, True),
        ("empty expression", "  ", {}, ""),
        ("unanswered text is empty string", "${t}", {}, ""),
    ],
)
def test_evaluate_values(_case, expression, answers, expected):
    assert evaluate(expression, answers) == expected


def test_evaluate_division_by_zero_is_infinite_not_an_error():
    assert evaluate("1 div 0", {}) == float("inf")
    assert is_true("0 div 0 = 0 div 0", {}) is False  # NaN equals nothing


def test_today_is_the_utc_date():
    assert evaluate("today()", {}) == datetime.now(UTC).date().isoformat()


def test_empty_expression_is_true():
    assert is_true("", {}) is True


def test_boolean_rules_of_values():
    assert is_true("${a}", {"a": 0}) is False
    assert is_true("${a}", {"a": "0"}) is True  # a non-empty string is true in XPath
    assert is_true("${a}", {}) is False


# -- references and errors -------------------------------------------------------------------


def test_references_lists_every_item_name():
    expression = "if(${a} > 1, selected(${b}, 'x'), concat(${c}, .)) and ${a} != ''"
    assert references(expression) == {"a", "b", "c"}


def test_references_of_empty_expression_is_empty():
    assert references("") == set()


@pytest.mark.parametrize(
    ("_case", "expression", "message"),
    [
        ("dangling operator", "${a} +", "expression '${a} +': unexpected the end at 7"),
        ("unknown function", "foo(1)", "expression 'foo(1)': unknown function foo()"),
        ("arity", "if(1, 2)", "expression 'if(1, 2)': if() takes 3 argument(s), got 2"),
        ("two values", "${a} ${b}", "expression '${a} ${b}': unexpected '${b}' at 6"),
        ("a lone slash", "/ 2", "expression '/ 2': unexpected '/' at 1"),
        (
            "an unresolved path",
            "/data/x = 1",
            "expression '/data/x = 1': path '/data/x' does not lead to an item of this form",
        ),
        ("unclosed", "(1", "expression '(1': expected ')', found the end"),
        (
            "python is not run",
            "__import__('os')",
            "expression \"__import__('os')\": unknown function __import__()",
        ),
    ],
)
def test_bad_expressions_are_refused_with_the_expression_named(_case, expression, message):
    with pytest.raises(ExpressionError) as caught:
        _check(expression)
    assert str(caught.value) == message


def _check(expression: str) -> None:
    references(expression)
    evaluate(expression, {})


def test_bad_regex_pattern_is_an_expression_error():
    with pytest.raises(ExpressionError, match="not a valid regular expression"):
        is_true("regex(., '(')", {}, current="x")


# -- no other exception escapes: NaN, Infinity or an ExpressionError ----------------------


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


@pytest.mark.parametrize(
    ("_case", "expression", "answers"),
    [
        ("negative to a fraction has no real value", "pow(-8, 1 div 3)", {}),
        ("square root of a negative", "pow(${x}, 0.5)", {"x": -4}),
        ("NaN base", "pow('a', 2)", {}),
        ("NaN exponent, even for base 1 (Java's Math.pow)", "pow(1, 'a')", {}),
        ("round with NaN digits keeps NaN", "round('a', 'b')", {}),
        ("exponent notation is not an XPath number", "number('1e3')", {}),
        ("Infinity is not an XPath number", "number('Infinity')", {}),
        ("nan is not an XPath number", "number('nan')", {}),
        ("underscores are not an XPath number", "number('1_000')", {}),
        ("a plus sign is not an XPath number", "number('+5')", {}),
        ("an answer in exponent notation", "${x} + 1", {"x": "2e2"}),
    ],
)
def test_values_with_no_number_are_nan(_case, expression, answers):
    assert _is_nan(evaluate(expression, answers))


@pytest.mark.parametrize(
    ("_case", "expression", "expected"),
    [
        ("XPath number with spaces", "number(' -12.5 ')", -12.5),
        ("XPath number with a trailing dot", "number('3.')", 3),
        ("XPath number starting with a dot", "number('.5')", 0.5),
        ("pow overflows to Infinity", "pow(10, 400) > 1000", True),
        ("pow of a negative overflows to -Infinity", "pow(-10, 401) < -1000", True),
        ("0 to a negative power is Infinity", "pow(0, -1) > 1000", True),
        ("negative to an integer power", "pow(-2, 3)", -8),
        ("anything to the power 0", "pow('a', 0)", 1),
        ("round to 400 places keeps the number", "round(1.5, 400)", 1.5),
        ("round a huge number to 10 places", "round(pow(10, 300) * pow(10, 8), 10) > 1", True),
        ("round to -400 places is 0", "round(123, -400)", 0),
        ("round to -2 places", "round(1250, -2)", 1300),
        ("date of a huge day count is no date", "date(pow(10, 300) * pow(10, 8))", ""),
        ("date of a number of days past year 9999", "date(9999999999)", ""),
        ("a date with days added past 9999 is no date", "date(date('9999-12-31') + 1)", ""),
        ("substr with a NaN start reads from 0", "substr('abc', 'x')", "abc"),
        ("selected-at with a NaN index is the first", "selected-at('a b', 'x')", "a"),
    ],
)
def test_extreme_arguments_follow_xpath_and_javarosa(_case, expression, expected):
    assert evaluate(expression, {}) == expected


@pytest.mark.parametrize(
    "function", [references, lambda e: is_true(e, {}), lambda e: evaluate(e, {})]
)
def test_deep_nesting_is_an_expression_error(function):
    expression = "(" * 5000 + "1" + ")" * 5000
    with pytest.raises(ExpressionError, match="nested too deeply"):
        function(expression)


def test_deep_nesting_in_a_form_is_refused_with_the_row_named(tmp_path):
    deep = "not(" * 3000 + "true()" + ")" * 3000
    survey = [[*row[:4], deep, *row[5:]] if row[1] == "age" else row for row in SURVEY]
    with pytest.raises(FormError, match=r"row 4, column relevant: .*nested too deeply"):
        read_xlsform(write_form(tmp_path / "deep.xlsx", survey=survey))
