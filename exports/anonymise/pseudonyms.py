"""Per-export pseudonyms: the only code that turns a person into an export `pid`.

Rule (docs/methods.md section 6, "Per-release pseudonym"): pid = base32(HMAC-SHA256(K, person))
cut to 26 characters, where K is a secret key drawn fresh for every export and never stored.
- One export: the same person gets the same pid in every wave, so panel analysis works.
- Two exports: different keys, so two releases cannot be joined on pid.
- The input is the internal member id (or, for an open-link respondent without a panel
  member, the response id), never the panel key a researcher supplied: raw panel keys and
  their hashes never reach an export, and without K the pid cannot be recomputed from them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

import numpy as np

# 256-bit keys: HMAC-SHA256's block-size-independent strength; shorter keys are refused.
KEY_BYTES = 32
MIN_KEY_BYTES = 16
# 26 base32 characters carry 130 bits: collisions are out of reach for any panel size.
PID_LENGTH = 26
# The digest bytes those 26 characters come from (5 bits each: 130 of 136 bits).
PID_BYTES = 17
BASE32 = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)
BITS_TO_DIGIT = np.array([16, 8, 4, 2, 1], dtype=np.uint8)

ERROR_SHORT_KEY = "pseudonym key must be at least {minimum} bytes (got {length})"


class PseudonymKeyError(ValueError):
    """The export's pseudonym key is missing or too short."""


def new_export_key() -> bytes:
    """A fresh random key for one export; keep it in memory only."""
    return secrets.token_bytes(KEY_BYTES)


def person_reference(*, member_id: int | None, response_id: int) -> str:
    """Who a row belongs to: the panel member, else the single open-link response."""
    # A respondent without a PanelMember cannot be linked across waves, so each such
    # response is its own one-wave person (docs/design.md samples; exports/sampling.py).
    if member_id is not None:
        return f"member:{member_id}"
    return f"response:{response_id}"


class Pseudonymiser:
    """Computes pids under one export key; the key never leaves this object."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymKeyError(ERROR_SHORT_KEY.format(minimum=MIN_KEY_BYTES, length=len(key)))
        self._key = key

    def __repr__(self) -> str:
        # Never show the key, even in a traceback's locals.
        return "Pseudonymiser(<key hidden>)"

    def pid(self, person: str) -> str:
        digest = hmac.new(self._key, person.encode("utf-8"), hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii")[:PID_LENGTH].lower()

    def pids(self, persons: Sequence[str]) -> list[str]:
        """`pid` of each person; the base32 of all of them at once in numpy (Python's
        base32 is a Python loop per byte: most of the cost of a pid)."""
        if not persons:
            return []
        digests = b"".join(
            hmac.digest(self._key, person.encode("utf-8"), "sha256")[:PID_BYTES]
            for person in persons
        )
        octets = np.frombuffer(digests, dtype=np.uint8).reshape(len(persons), PID_BYTES)
        bits = np.unpackbits(octets, axis=1)[:, : PID_LENGTH * 5]
        digits = (bits.reshape(len(persons), PID_LENGTH, 5) * BITS_TO_DIGIT).sum(axis=2)
        letters = BASE32[digits].view(f"S{PID_LENGTH}").reshape(-1)
        return [text.decode("ascii") for text in letters.tolist()]
