"""Countries merged by UN M49 region and cities generalised to capital or another place
(docs/methods.md 5.6 step 3; the tables are exports/anonymise/regions.py and capitals.py).

Each function returns a recoding as kanon's ladder takes it: codes (missing codes, < 0,
untouched), labels and a codebook note. Django-free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from exports.anonymise.capitals import is_capital
from exports.anonymise.recode_texts import (
    CAPITAL_LABEL,
    ELSEWHERE_LABEL,
    NOTE_AS_REGION,
    NOTE_CAPITAL_OR_OTHER,
    NOTE_NONE_MERGED,
    NOTE_PLACES,
    NOTE_REGIONS,
    OTHER_LABEL,
    REGION_LABEL,
    REGION_LEVEL,
    SUB_REGION_LEVEL,
)
from exports.anonymise.regions import place_of
from exports.dataset import Phrase

# The levels a country is coded at when every country is generalised.
LEVELS = ("sub_region", "region")


def merge_by_region(
    series: pd.Series, labels: Mapping[int, str], names: Mapping[int, str], k: int
) -> tuple[pd.Series, dict[int, str], str]:
    """Countries held by fewer than `k` rows (the threshold) merged by region: into their
    M49 sub-region when it gathers at least `k` rows from at least two countries, else
    into their continent on the same terms, else into one "other" code."""
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    counts = _counts(values)
    rare = sorted(code for code, count in counts.items() if count < k)
    if not rare:
        return values, dict(labels), Phrase(NOTE_NONE_MERGED, k=k)
    groups = _regional_groups(rare, counts, names, k, start="sub_region")
    if len(groups.get(None, [])) == 1 and len(counts) > len(rare):
        # One country merged alone into "other" would keep it recognisable: take the
        # rarest kept country too.
        kept = {code: n for code, n in counts.items() if code not in rare}
        groups[None].append(min(kept, key=lambda code: (kept[code], code)))
    return _recode_groups(values, labels, counts, groups, Phrase(NOTE_REGIONS, k=k, merged=""))


def countries_as(
    series: pd.Series, labels: Mapping[int, str], names: Mapping[int, str], k: int, level: str
) -> tuple[pd.Series, dict[int, str], str]:
    """Every country coded as its M49 sub-region (or continent); a group with fewer than
    `k` rows as its continent, then "other"."""
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    counts = _counts(values)
    groups = _regional_groups(sorted(counts), counts, names, k, start=level, alone_ok=True)
    what = Phrase(SUB_REGION_LEVEL if level == "sub_region" else REGION_LEVEL)
    return _recode_groups(
        values, labels, counts, groups, Phrase(NOTE_AS_REGION, level=what, k=k, merged="")
    )


def _counts(values: pd.Series) -> dict[int, int]:
    valid = values[values >= 0]
    return {int(float(str(code))): int(n) for code, n in valid.value_counts().items()}


def _regional_groups(
    codes: Sequence[int],
    counts: Mapping[int, int],
    names: Mapping[int, str],
    k: int,
    *,
    start: str,
    alone_ok: bool = False,
) -> dict[str | None, list[int]]:
    """Region name (English; None for "other") -> the codes merged into it. A group is
    kept when it holds at least `k` rows and, unless `alone_ok`, two countries or more
    (a region holding one rare country would name it); the rest go one level up."""
    groups: dict[str | None, list[int]] = {}
    pending = list(codes)
    for level in LEVELS[LEVELS.index(start) :]:
        by_region: dict[str, list[int]] = {}
        rest: list[int] = []
        for code in pending:
            place = place_of(names.get(code, ""))
            if place is None:
                rest.append(code)
            else:
                region = place.sub_region if level == "sub_region" else place.region
                by_region.setdefault(region, []).append(code)
        pending = rest
        for region, members in sorted(by_region.items()):
            rows = sum(counts[c] for c in members)
            if rows >= k and (alone_ok or len(members) >= 2):
                groups[region] = members
            else:
                pending.extend(members)
    if pending:
        groups[None] = sorted(pending)
    return groups


def _recode_groups(
    values: pd.Series,
    labels: Mapping[int, str],
    counts: Mapping[int, int],
    groups: Mapping[str | None, list[int]],
    note: Phrase,
) -> tuple[pd.Series, dict[int, str], Phrase]:
    merged_codes = {c for members in groups.values() for c in members}
    kept = {code: label for code, label in labels.items() if code not in merged_codes}
    coded = values.copy()
    code = max([*labels.keys(), *counts.keys(), 0]) + 1
    parts = []
    for region, group in groups.items():
        members = sorted(group)
        label = OTHER_LABEL if region is None else Phrase(REGION_LABEL, region=Phrase(region))
        coded[values.isin(members)] = float(code)
        kept[code] = label
        parts.append(f"{code} = " + ", ".join(labels.get(c, str(c)) for c in members))
        code += 1
    return coded, kept, Phrase(note.template, **{**note.values, "merged": "; ".join(parts)})


def capital_or_other(series: pd.Series) -> tuple[pd.Series, dict[int, str], str]:
    """Every named place as a national capital (1) or another place (2)."""
    is_text = series.map(lambda v: isinstance(v, str) and bool(v.strip()))
    coded = pd.Series(np.nan, index=series.index, dtype="float64")
    coded[~is_text] = pd.to_numeric(series[~is_text], errors="coerce")
    coded[is_text] = series[is_text].map(lambda v: 1.0 if is_capital(v) else 2.0)
    labels: dict[int, str] = {1: CAPITAL_LABEL, 2: ELSEWHERE_LABEL}
    return coded, labels, Phrase(NOTE_CAPITAL_OR_OTHER)


# How a country or place column was generalised, for the report and its sentences
# (exports/describe.py).
GENERALISED = (
    "rare_countries_by_region",
    "countries_as_sub_regions",
    "countries_as_regions",
    "rare_places_capital_or_other",
    "places_as_capital_or_other",
)


def generalisation(note: str) -> str:
    """The GENERALISED rule a recoding's note records, or "" for other recodings."""
    if not isinstance(note, Phrase):
        return ""
    if note.template == NOTE_REGIONS:
        return GENERALISED[0]
    if note.template == NOTE_AS_REGION:
        level = note.values.get("level")
        return (
            GENERALISED[1] if getattr(level, "template", "") == SUB_REGION_LEVEL else GENERALISED[2]
        )
    if note.template == NOTE_PLACES and note.values.get("merged"):
        return GENERALISED[3]
    if note.template == NOTE_CAPITAL_OR_OTHER:
        return GENERALISED[4]
    return ""
