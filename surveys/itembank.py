"""The WVS-7 / ESS item bank: parse harmonised-items.yaml into typed concepts.

Django-free. The file and its fields are described in docs/item-bank.md; the copy
the project reads is surveys/data/harmonised-items.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ITEM_BANK_PATH = Path(__file__).resolve().parent / "data" / "harmonised-items.yaml"
SUPPORTED_SCHEMA_VERSION = 1

ERROR_NOT_A_MAPPING = "{path}: the item bank must be a YAML mapping with a 'concepts' key"
ERROR_SCHEMA_VERSION = "{path}: schema_version {found} is not supported (expected {expected})"
ERROR_CONCEPT_SHAPE = "{path}: concept {key!r} must be a mapping with a 'label'"


class ItemBankError(ValueError):
    """The item bank file is malformed; the message names the file and the concept."""


@dataclass(frozen=True)
class Concept:
    key: str
    label: str
    domain: str
    wvs7_item: str
    ess_variable: str
    equivalence: str
    definition: dict[str, Any]


def read_item_bank(path: Path = ITEM_BANK_PATH) -> list[Concept]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("concepts"), dict):
        raise ItemBankError(ERROR_NOT_A_MAPPING.format(path=path))
    found = document.get("schema_version")
    if found != SUPPORTED_SCHEMA_VERSION:
        raise ItemBankError(
            ERROR_SCHEMA_VERSION.format(path=path, found=found, expected=SUPPORTED_SCHEMA_VERSION)
        )
    return [_concept(path, key, body) for key, body in document["concepts"].items()]


def _concept(path: Path, key: str, body: Any) -> Concept:
    if not isinstance(body, dict) or not body.get("label"):
        raise ItemBankError(ERROR_CONCEPT_SHAPE.format(path=path, key=key))
    wvs7 = body.get("wvs7") or {}
    ess = body.get("ess") or {}
    harmonisation = body.get("harmonisation") or {}
    return Concept(
        key=key,
        label=str(body["label"]),
        domain=str(body.get("domain") or ""),
        wvs7_item=str(wvs7.get("item") or ""),
        ess_variable=str(ess.get("variable") or ""),
        equivalence=str(harmonisation.get("equivalence") or ""),
        definition=body,
    )


_SCALE = re.compile(r"^scale_(-?\d+)_(-?\d+)$")


@dataclass(frozen=True)
class ConceptReference:
    """What a harmonised item is checked against: the reference wordings and code sets."""

    key: str
    # {"wvs7": "Generally speaking, ...", "ess": "..."} (English source questionnaires).
    wordings: dict[str, str]
    # {"wvs7": frozenset({1, 2}), "ess": frozenset({0, ..., 10})}: the valid answer codes.
    scales: dict[str, frozenset[int]]
    # {"wvs7": frozenset({-1, -2, -4, -5})}: the survey's codes for "don't know", refusal, ...
    missing_codes: dict[str, frozenset[int]] = field(default_factory=dict)
    # {"wvs7": {1: "Most people can be trusted", 2: "..."}}: the English category labels.
    category_labels: dict[str, dict[int, str]] = field(default_factory=dict)


def concept_reference(key: str, definition: dict[str, Any]) -> ConceptReference:
    wordings: dict[str, str] = {}
    scales: dict[str, frozenset[int]] = {}
    missing: dict[str, frozenset[int]] = {}
    labels: dict[str, dict[int, str]] = {}
    for survey in ("wvs7", "ess"):
        block = definition.get(survey)
        if not isinstance(block, dict):
            continue
        if block.get("question"):
            wordings[survey] = str(block["question"])
        codes = {
            int(category["code"])
            for category in block.get("categories") or []
            if isinstance(category, dict) and isinstance(category.get("code"), int)
        }
        # A scale such as ESS's 0-10 labels only its endpoints; every code between is valid.
        scale = _SCALE.match(str(block.get("response_type") or ""))
        if scale:
            codes |= set(range(int(scale[1]), int(scale[2]) + 1))
        if codes:
            scales[survey] = frozenset(codes)
        missing_codes = {c for c in block.get("missing_codes") or [] if isinstance(c, int)}
        if missing_codes:
            missing[survey] = frozenset(missing_codes)
        labels[survey] = {
            int(category["code"]): str(category["label"])
            for category in block.get("categories") or []
            if isinstance(category, dict)
            and isinstance(category.get("code"), int)
            and category.get("label")
        }
    return ConceptReference(
        key=key, wordings=wordings, scales=scales, missing_codes=missing, category_labels=labels
    )
