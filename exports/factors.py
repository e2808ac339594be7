"""An answer key over a batch of responses, as distinct values and each row's position.

Django-free, so the column rules (exports/columns.py) can take it without the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Factor:
    """Row i holds values[codes[i]], or nothing when codes[i] is -1 (the key is absent
    from that response's answers)."""

    codes: np.ndarray  # intp
    values: list[Any]

    def objects(self) -> np.ndarray:
        """One Python value per row (None where absent), as an object array."""
        table = np.empty(len(self.values) + 1, dtype=object)
        table[: len(self.values)] = self.values
        table[-1] = None
        rows: np.ndarray = table[self.codes]
        return rows

    def take(self, rows: np.ndarray) -> Factor:
        return Factor(self.codes[rows], self.values)
