"""What Russian morphology says of one word: how likely it is a first name, a surname, a
patronymic or a place, and its dictionary forms.

pymorphy3's OpenCorpora dictionary tags names (Name), surnames (Surn), patronymics (Patr) and
places (Geox) in every declined form, and guesses unknown words from their endings. The
dictionary (about 15 MB) loads on the first word looked up, once per process: never when a
command or the web server starts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_lock = threading.Lock()
_analyzer: Any = None


@dataclass(frozen=True)
class Reading:
    name: float
    surname: float
    patronymic: float
    place: float
    lemmas: frozenset[str]
    known: bool
    past_verb: bool
    noun: bool

    @property
    def personal(self) -> float:
        return self.name + self.surname + self.patronymic


def analyzer() -> Any:
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                import pymorphy3  # noqa: PLC0415  # loaded on first use only, see above

                _analyzer = pymorphy3.MorphAnalyzer(lang="ru")
    return _analyzer


@lru_cache(maxsize=200_000)
def read(word: str) -> Reading:
    """`word` lower-cased, Cyrillic."""
    name = surname = patronymic = place = 0.0
    lemmas = set()
    known = past = noun = False
    for parse in analyzer().parse(word):
        grammemes = parse.tag.grammemes
        score = float(parse.score)
        if "Name" in grammemes:
            name += score
        if "Surn" in grammemes:
            surname += score
        if "Patr" in grammemes:
            patronymic += score
        if "Geox" in grammemes:
            place += score
        if "VERB" in grammemes and "past" in grammemes:
            past = True
        if "NOUN" in grammemes and not grammemes & {"Name", "Surn", "Patr", "Geox"}:
            noun = noun or score >= 0.3
        lemmas.add(parse.normal_form)
        known = known or bool(parse.is_known)
    return Reading(name, surname, patronymic, place, frozenset(lemmas), known, past, noun)
