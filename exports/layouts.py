"""Layouts: long (one row per person and wave) and wide (one row per person).

Long: `pid`, `wave` (the wave's number in the study, labelled with its name), `version`
(the questionnaire version's number), then the variables; built row by row by assembly.
Wide: `pid`, one `wave_wN` 0/1 per chosen wave (took part or not), then for every variable
one column per wave, named `<variable>_w<N>` (trust_w1, trust_w2), only for the waves whose
version asks the item. A person who did not take part in wave N has the "not asked" code
(numeric) or "" (string) in its `_wN` columns, and `wave_wN` = 0 says why.
Django-free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import pandas as pd

from exports.dataset import Variable

# The internal person key column (replaced by the pid at the very end).
PERSON = "_person"
ID_COLUMNS = ("pid", "wave")
NOT_ASKED = -4.0


class WaveLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def number(self) -> int: ...


def participation_name(wave_number: int) -> str:
    # "wave" is a reserved column name, so no item's wide column can collide with this.
    return f"wave_w{wave_number}"


def wide_name(name: str, wave_number: int) -> str:
    return f"{name}_w{wave_number}"


@dataclass(frozen=True)
class WideTexts:
    """The wide layout's fixed texts, in the export's language."""

    took_part: str = "Took part in wave {wave}"
    in_wave: str = "{label} (wave {wave})"
    not_asked: str = "Not asked in this wave or version"
    no: str = "No"
    yes: str = "Yes"


def widen_variables(
    variables: Sequence[Variable],
    item_waves: Mapping[str, set[int]],
    waves: Sequence[WaveLike],
    *,
    with_ids: bool = True,
    texts: WideTexts = WideTexts(),
) -> list[Variable]:
    out: list[Variable] = []
    if with_ids:
        out.extend(v for v in variables if v.name == "pid")
        out.extend(
            Variable(
                name=participation_name(wave.number),
                label=texts.took_part.format(wave=wave.name),
                kind="numeric",
                type="boolean",
                value_labels={0: texts.no, 1: texts.yes},
                wave=wave.name,
            )
            for wave in waves
        )
    for variable in variables:
        if variable.name in ID_COLUMNS:
            continue
        asked_in = item_waves.get(variable.item or "", None) if variable.item else None
        for wave in waves:
            if asked_in is not None and wave.number not in asked_in:
                continue
            out.append(
                replace(
                    variable,
                    name=wide_name(variable.name, wave.number),
                    label=texts.in_wave.format(label=variable.label, wave=wave.name),
                    wave=wave.name,
                    missing_codes={
                        **variable.missing_codes,
                        -4: texts.not_asked,
                    }
                    if variable.kind == "numeric"
                    else variable.missing_codes,
                )
            )
    return out


def widen_frame(
    long: pd.DataFrame, variables: Sequence[Variable], waves: Sequence[WaveLike]
) -> pd.DataFrame:
    """Long rows (with PERSON and `wave`) to one row per person, first-seen order."""
    persons = pd.Index(pd.unique(long[PERSON]))
    columns: dict[str, object] = {PERSON: persons.to_numpy()}
    by_wave = {
        wave.number: long[long["wave"] == wave.number].drop_duplicates(PERSON).set_index(PERSON)
        for wave in waves
    }
    for variable in variables:
        if variable.name == "pid":
            continue
        base, _, number_text = variable.name.rpartition("_w")
        part = by_wave[int(number_text)]
        if base == "wave":
            columns[variable.name] = persons.isin(part.index).astype("float64")
            continue
        values = part[base].reindex(persons)
        if variable.kind == "numeric":
            # Raw quasi-identifier text (a place) is numeric only once assembly puts the
            # released codes in after widening; until then it reads as absent.
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
            columns[variable.name] = numbers.fillna(NOT_ASKED).to_numpy()
        else:
            columns[variable.name] = values.fillna("").astype("object").to_numpy()
    return pd.DataFrame(columns)
