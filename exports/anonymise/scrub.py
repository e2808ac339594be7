"""Free-text scrubbing: emails, phone numbers, Telegram handles and links, URLs, IPs.

Rule (docs/methods.md 5.5 and docs/design.md "Privacy model"): released free text is run through
Presidio with the slim spaCy engine (no model download, no NER: pattern recognizers only)
plus custom recognizers for Telegram `@handles` and `t.me/...` links and Russian and
regional phone formats; each finding is replaced by a visible tag such as `<EMAIL>`.
Names and places are NOT detected (no NER offline): the codebook says so and recommends
manual review, or the export withholds free text altogether.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

# tldextract (used by Presidio's e-mail and URL recognizers) otherwise fetches the Public
# Suffix List over the network on first use; an export worker must never call out.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import SlimSpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    UrlRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

# One analysis language for all text: the recognizers are patterns, indifferent to the
# language, and "ru" has no default spaCy model, so the slim engine builds a blank
# tokenizer instead of trying to download one.
ANALYSIS_LANGUAGE = "ru"
# Where respondents of the model case live and what their phones look like.
PHONE_REGIONS = ("RU", "UA", "BY", "KZ", "GE", "AM", "AZ", "RS", "ME", "TR", "DE", "IL", "US", "GB")
WITHHELD = "<WITHHELD>"

TAGS = {
    "EMAIL_ADDRESS": "<EMAIL>",
    "PHONE_NUMBER": "<PHONE>",
    "RU_PHONE": "<PHONE>",
    "TELEGRAM": "<TELEGRAM>",
    "URL": "<URL>",
    "IP_ADDRESS": "<IP>",
    "CREDIT_CARD": "<CARD>",
    "ID_NUMBER": "<ID_NUMBER>",
}

TELEGRAM_PATTERNS = [
    # @handle: Telegram usernames are 5-32 characters of letters, digits and underscores.
    Pattern("telegram_handle", r"(?<![\w@.])@[A-Za-z][A-Za-z0-9_]{3,31}\b", 0.85),
    Pattern(
        "telegram_link",
        r"(?i)\b(?:https?://)?(?:t\.me|telegram\.me|telegram\.dog)/[A-Za-z0-9_+/-]+",
        0.95,
    ),
    # The app's own links: tg://resolve?domain=name, tg://join?invite=..., tg://user?id=...
    Pattern("telegram_app_link", r"(?i)\btg://[^\s<>\"']+", 0.95),
    # A bare name after the word: "telegram: ivan_petrov", "тг - ivan_petrov".
    Pattern(
        "telegram_named",
        r"(?i)(?<!\w)(?:telegram|tg|телеграмм?|телега|тг)\s*(?:[:=\u2013\u2014-]|\s+is\s+|\s+это\s+)"
        r"\s*@?[A-Za-z][A-Za-z0-9_]{3,31}\b",
        0.9,
    ),
    # After a Cyrillic word a Latin name cannot be Russian prose: "мой телеграм ivan_petrov".
    Pattern(
        "telegram_named_ru",
        r"(?i)(?<!\w)(?:телеграмм?|телега|тг)\s+@?[A-Za-z][A-Za-z0-9_]{3,31}\b",
        0.9,
    ),
]
RU_PHONE_PATTERNS = [
    # 8 (916) 123-45-67, +7 916 1234567, 89161234567: the domestic forms phonenumbers
    # misses without a region hint.
    Pattern(
        "ru_phone",
        r"(?<!\d)(?:\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)",
        0.8,
    ),
]
ID_PATTERNS = [
    # Russian passport series+number (4+6 digits) and 10/12-digit INN-like numbers.
    Pattern("passport", r"(?<!\d)\d{2}\s?\d{2}\s?\d{6}(?!\d)", 0.6),
    Pattern("inn", r"(?<!\d)\d{12}(?!\d)", 0.5),
]


@dataclass(frozen=True)
class ScrubResult:
    text: str
    # Entity type -> how many were replaced (never the values).
    found: dict[str, int]


@cache
def _engines() -> tuple[AnalyzerEngine, AnonymizerEngine]:
    # Presidio logs a line per analysed text at INFO; an export of thousands of answers
    # would flood the worker log (the lines hold no text, only noise).
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
    nlp = SlimSpacyNlpEngine(
        supported_languages=[ANALYSIS_LANGUAGE], generic_tokenizer="blank", auto_download=False
    )
    registry = RecognizerRegistry(supported_languages=[ANALYSIS_LANGUAGE])
    lang = ANALYSIS_LANGUAGE
    for recognizer in (
        EmailRecognizer(supported_language=lang),
        UrlRecognizer(supported_language=lang),
        IpRecognizer(supported_language=lang),
        CreditCardRecognizer(supported_language=lang),
        PhoneRecognizer(supported_language=lang, supported_regions=PHONE_REGIONS),
        PatternRecognizer("TELEGRAM", patterns=TELEGRAM_PATTERNS, supported_language=lang),
        PatternRecognizer("RU_PHONE", patterns=RU_PHONE_PATTERNS, supported_language=lang),
        PatternRecognizer("ID_NUMBER", patterns=ID_PATTERNS, supported_language=lang),
    ):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(
        nlp_engine=nlp, registry=registry, supported_languages=[ANALYSIS_LANGUAGE]
    )
    return analyzer, AnonymizerEngine()  # type: ignore[no-untyped-call]


def _operators() -> dict[str, Any]:
    return {
        entity: OperatorConfig("replace", {"new_value": tag}) for entity, tag in TAGS.items()
    } | {"DEFAULT": OperatorConfig("replace", {"new_value": "<REDACTED>"})}


def scrub(text: str) -> ScrubResult:
    """Replace contact details and links in `text` with tags; count what was replaced."""
    if not text.strip():
        return ScrubResult(text=text, found={})
    analyzer, anonymizer = _engines()
    findings = analyzer.analyze(text=text, language=ANALYSIS_LANGUAGE)
    if not findings:
        return ScrubResult(text=text, found={})
    result = anonymizer.anonymize(
        text=text,
        analyzer_results=findings,  # type: ignore[arg-type]  # same fields, twin classes
        operators=_operators(),
    )
    counts = Counter(item.entity_type for item in result.items)
    return ScrubResult(text=result.text, found=dict(counts))


def scrub_all(texts: list[str]) -> tuple[list[str], Counter[str]]:
    totals: Counter[str] = Counter()
    out = []
    for text in texts:
        result = scrub(text)
        totals.update(result.found)
        out.append(result.text)
    return out, totals
