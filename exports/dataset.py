"""The anonymised dataset that assembly hands to the file writers and the codebook.

Django-free: assembly (sampling, layouts, anonymisation) builds a Dataset from the database;
writers (exports/writers/) and the codebook read only this. Every frame chunk has exactly
the columns of `variables`, in that order; numeric columns hold float64 (or nullable
integers) with the negative internal missing codes of docs/methods.md section 7.6 in place of
missing answers; string columns hold str.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

VariableKind = Literal["numeric", "string"]
# What a column's values are, for the formats that type them (docs/design.md, exports):
# integer codes and counts, 0/1 flags as booleans, decimals only for decimal items, dates.
ValueType = Literal["integer", "decimal", "boolean", "date", "string"]
Measure = Literal["nominal", "ordinal", "scale"]
SampleName = Literal["combined", "panel", "balanced"]
LayoutName = Literal["long", "wide"]
FreeTextPolicy = Literal["scrub", "withhold"]
# A fixed text (a heading, a note) -> the same text in the export's language.
Translate = Callable[[str], str]


def gettext_noop(message: str) -> str:
    """Marks a fixed English text for translation without importing Django: makemessages
    collects every call by this name into locale/, and the Dataset's `translate` gives the
    export's language where the text is written (the writers and the codebook stay
    Django-free)."""
    return message


def untranslated(message: str) -> str:
    return message


class Phrase(str):
    """A text made from a marked template and values, that can still be translated.

    It is the English text wherever a str is expected (labels, notes); `translated()` gives
    it in another language: the template through the catalogue, each value that is itself
    a Phrase (a region's name) translated too, other values (numbers, answer labels) as
    they are. The Django-free recoding (exports/anonymise/) writes its labels and notes
    this way; the catalogue translates them for the export.
    """

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Phrase:
        phrase = super().__new__(cls, template.format(**values) if values else template)
        phrase.template = template
        phrase.values = values
        return phrase

    def translated(self, translate: Translate) -> str:
        values = {
            key: value.translated(translate) if isinstance(value, Phrase) else value
            for key, value in self.values.items()
        }
        return translate(self.template).format(**values) if values else translate(self.template)


def translated(text: str, translate: Translate) -> str:
    """`text` in the translator's language when it is a Phrase, else as it is."""
    return text.translated(translate) if isinstance(text, Phrase) else text


@dataclass(frozen=True)
class Variable:
    # Column name: unique, [A-Za-z][A-Za-z0-9_]*, at most 64 characters (Stata's limit is
    # 32; the Stata writer shortens and records it).
    name: str
    # Variable label in the export's language, full length: writers shorten per format and
    # say so in the codebook, never cut silently.
    label: str
    kind: VariableKind
    measure: Measure = "nominal"
    # Numeric columns: "integer" (codes, counts), "decimal" or "boolean" (0/1 flags);
    # string columns: "string" or "date" (ISO text, "" when missing: the _status column
    # beside it says why).
    type: ValueType = "decimal"
    # Code -> label for substantive codes.
    value_labels: Mapping[int, str] = field(default_factory=dict)
    # Code -> label for the missing codes this variable uses (negative internal codes, and
    # an item's own "don't know" or refusal choices unless its item-bank concept makes
    # "don't know" a substantive answer).
    missing_codes: Mapping[int, str] = field(default_factory=dict)
    # Code -> XLSForm choice name, for choices whose names are not their codes ("ge"):
    # Parquet and CSV hold the names, SPSS and Stata the codes (the codebook maps them).
    choice_names: Mapping[int, str] = field(default_factory=dict)
    # The questionnaire item it comes from (None for pid, wave, paradata, flags).
    item: str | None = None
    # The wave it belongs to in the wide layout.
    wave: str | None = None
    # Item wording per language, for the codebook.
    wording: Mapping[str, str] = field(default_factory=dict)
    # Item-bank concept for harmonised items and their WVS/ESS twins.
    concept: str | None = None
    # Codebook notes: wording changed between versions, harmonised twin of ..., coarsened,
    # scrubbed, suppressed values, ...
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportSpec:
    """What to export; assembly turns it into a Dataset."""

    study_id: int
    wave_ids: tuple[int, ...]
    sample: SampleName
    layout: LayoutName
    k: int = 5
    include_flagged: bool = False
    language: str = "en"
    free_text: FreeTextPolicy = "scrub"
    # The release gate's limit on ER/n (docs/methods.md 5.6 step 4; sdcMicro's default 0.01):
    # assembly suppresses further until the risk is within it.
    max_global_risk: float = 0.01
    # Secret key of this export's pseudonyms; new for every export, never stored.
    pseudonym_key: bytes = b""
    # Parquet and CSV: keep the missing codes instead of nulls.
    missing_codes: bool = False
    # A restricted release for the study team (owners with two-factor sign-in): direct
    # identifiers and contacts still excluded, quasi-identifiers neither recoded nor
    # suppressed. Never the default.
    restricted: bool = False


@dataclass
class Dataset:
    variables: list[Variable]
    # Called once: yields the rows in chunks (already anonymised and in random order).
    chunks: Callable[[], Iterator[pd.DataFrame]]
    rows: int
    # Human-readable definition of the sample and the waves in it.
    sample_definition: str
    # The cleaning rules applied (rule name -> description and configuration).
    cleaning_rules: Mapping[str, Any]
    # k reached, suppressions per variable, individual risk, expected re-identifications.
    disclosure_report: Mapping[str, Any]
    # Internal missing code -> label, with its SPSS/Stata/R mapping.
    missing_scheme: Mapping[int, str]
    title: str = ""
    notes: list[str] = field(default_factory=list)
    # Parquet and CSV: missing values as their codes instead of nulls.
    keep_missing_codes: bool = False
    # The export's label language.
    language: str = "en"
    # Fixed texts (notes, headings) in that language: assembly passes Django's catalogue
    # for it (exports/texts.py); English as written otherwise.
    translate: Translate = untranslated
    # The disclosure report in words, in that language (exports/describe.py): every
    # sentence, and the release gate's own.
    verdict: list[str] = field(default_factory=list)
    release_gate: str = ""
    # (roster name, its table): the XLSForm repeats, each written beside the main table
    # (exports/repeats.py).
    children: list[tuple[str, Dataset]] = field(default_factory=list)
    # Further Data Package resources (the children's tables, once written).
    resources: list[dict[str, Any]] = field(default_factory=list)
