"""What SPSS and Stata writers share: turning ReadStat's refusals into WriterError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyreadstat

from exports.writers.base import WriterError


@contextmanager
def refusals_as_writer_errors(message: str) -> Iterator[None]:
    """Inside: a ReadStat refusal becomes WriterError(message.format(error=...))."""
    try:
        yield
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        # ReadStat's messages name the limit, never a data value.
        raise WriterError(message.format(error=exc)) from exc
