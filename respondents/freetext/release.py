"""Releasing one free-text key over a batch of responses, as columns.

The export reads each answer's stored scrub with the answers (exports/flatten.py), one
entry per row of the batch, and releases it here: a scrub is released only when it is
current (this scrubber's version, and the digest of this very answer); every other answer
is scrubbed now and stored (as `released_texts` does), and if even that gives no scrub of
this text it is withheld. So nothing unscrubbed is ever released. Unlike `released_texts`,
no dictionary per response is built: the checks run over arrays, the digest once per
answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from respondents.freetext import services
from respondents.freetext.scrub import WITHHELD

NO_VERSION = -1


@dataclass(frozen=True)
class StoredColumn:
    """The stored scrubs of one key, row by row of a batch; `version` is NO_VERSION, and
    `found_code` -1, where a row has none. Counts by kind are decoded once per distinct
    value (`found`), most being "{}"."""

    text: np.ndarray  # object: str or None
    version: np.ndarray  # int64
    digest: np.ndarray  # object: str or None
    found_code: np.ndarray  # intp, into `found`
    found: list[dict[str, Any]]

    @classmethod
    def empty(cls, rows: int) -> StoredColumn:
        return cls(
            text=np.full(rows, None, dtype=object),
            version=np.full(rows, NO_VERSION, dtype=np.int64),
            digest=np.full(rows, None, dtype=object),
            found_code=np.full(rows, -1, dtype=np.intp),
            found=[],
        )

    def take(self, rows: np.ndarray) -> StoredColumn:
        return StoredColumn(
            self.text[rows],
            self.version[rows],
            self.digest[rows],
            self.found_code[rows],
            self.found,
        )


@dataclass(frozen=True)
class ReleasedColumn:
    # Per row: the text to release ("" where there was no answer).
    texts: list[str]
    # Kind -> count, over the texts released.
    found: Counter[str]
    # How many answers had to be scrubbed now (no current scrub was stored).
    scrubbed_now: int


def released_column(
    key: str, ids: Sequence[int], raw: Sequence[str], stored: StoredColumn
) -> ReleasedColumn:
    """The texts to release for answer `key` of the responses `ids`, whose answers (as
    exports read them) are `raw` and whose stored scrubs are `stored`, row by row."""
    answered = np.flatnonzero(np.array([bool(text) for text in raw], dtype=bool))
    hashed = np.array([services.digest(raw[i]) for i in answered.tolist()], dtype=object)
    current = (stored.version[answered] == services.scrubber_version()) & (
        stored.digest[answered] == hashed
    )
    texts = np.full(len(raw), "", dtype=object)
    texts[answered[current]] = stored.text[answered[current]]
    weights = np.bincount(stored.found_code[answered[current]], minlength=len(stored.found))
    found: Counter[str] = Counter()
    for counts, times in zip(stored.found, weights.tolist(), strict=True):
        if times:
            found.update({kind: int(n) * times for kind, n in counts.items()})
    stale = answered[~current]
    scrubbed_now = 0
    if len(stale):
        stale_ids = [int(ids[i]) for i in stale.tolist()]
        scrubbed_now = services.scrub_now(stale_ids)
        fresh = services.stored_scrubs(stale_ids, key)
        for row, pk, hashed_now in zip(
            stale.tolist(), stale_ids, hashed[~current].tolist(), strict=True
        ):
            entry = fresh.get(pk)
            if entry is None or entry[3] != hashed_now:
                # Still no scrub of this very text (the answer is not a free-text item of
                # its version, or it changed meanwhile): never release it raw.
                texts[row] = WITHHELD
                continue
            texts[row] = entry[0]
            found.update({kind: int(n) for kind, n in entry[1].items()})
    return ReleasedColumn(texts=texts.tolist(), found=found, scrubbed_now=scrubbed_now)
