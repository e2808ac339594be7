"""Cells ODK reads as XPath although their authors wrote a word: `required` and
`calculation` holding a bare word.

Django-free. pyxform copies a `required` cell that is not one of its yes/no words, and
every `calculation`, into the XForm as an XPath expression. A bare word there (`T`,
`basic`, `yes`) is a relative path to a child node the item does not have: ODK reads it
as empty, so the item is not required and the calculation is the empty string, whatever
the author meant. Panelwave reads them the same way, with a warning that names the cell
and what the author probably meant (docs/xlsform.md).

A `required` holding a condition (`${age} > 17`) is required only when it holds, which
Panelwave does not do: refused, or, under `--skip-unsupported`, the item is optional,
with a warning.
"""

from __future__ import annotations

import re

from surveys.expressions import ExpressionError, references

WARNING_REQUIRED_WORD = (
    "{value!r} is neither yes nor no, and ODK reads it as the path to a node that does "
    "not exist: the item is not required (write yes to require it)"
)
WARNING_CALCULATION_WORD = (
    "{value!r} is a bare word, which ODK reads as the path to a node that does not "
    "exist: the calculation is empty (write '{value}' in quotes for the text)"
)
WARNING_REQUIRED_CONDITION = (
    "required only when {value!r} holds is not supported; the item is optional"
)
ERROR_REQUIRED_CONDITION = (
    "required only when {value!r} holds is not supported (write yes or no, or import "
    "with --skip-unsupported to make the item optional)"
)
# The empty string, what ODK computes for such a calculation.
EMPTY_CALCULATION = "''"

_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def is_bare_word(text: str) -> bool:
    """Whether `text` is a single name that is not an expression Panelwave reads."""
    if not _WORD.match(text.strip()):
        return False
    try:
        references(text)
    except ExpressionError:
        return True
    return False


def is_condition(text: str) -> bool:
    """Whether `text` parses as an expression (a `required` condition)."""
    try:
        references(text)
    except ExpressionError:
        return False
    return True
