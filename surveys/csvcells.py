"""Text cells a spreadsheet would run as a formula, made inert in every CSV we write.

OWASP's advice against CSV injection: a cell that begins with =, +, -, @, a tab or a
carriage return gets a leading apostrophe, which spreadsheets show as text. Plain Python:
the export writers and the cleaning report both use it.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
