"""Street addresses and flat numbers, in the forms of Russia, Georgia, Armenia, Kazakhstan
and Serbia, written in Cyrillic or Latin script. Cities and countries are not addresses:
they stay (k-anonymity handles them as quasi-identifiers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from respondents.freetext.scrub.spans import Span

# The street-type word before the name: "ул. Руставели", "проспекте Абая", "пр-т", "мкр.",
# "улица Краља Милана", "Bulevar kralja Aleksandra", "ulica Cara Dušana".
_TYPE_BEFORE = (
    r"(?i:ул\.|ул(?=\s)|улиц[аеуыи]|пр-к?те?|пр-кт|просп\.|проспект\w*|пр\.|пер\.|переул\w*|"
    r"б-р|бульвар\w*|ш\.|шоссе|наб\.|набережн\w*|пл\.|площад\w*|мкр\.|мкрн?\.?|мкр(?=\s)|"
    r"микрорайон\w*|проезд\w*|тупик\w*|аллее|аллея|тракт\w*|булевар\w*|"
    r"ulica|ul\.|bulevar|bul\.|trg|ulitsa|prospekt|mkr\.?|mikrorayon)"
)
# The street-type word after the name: "Тверской улице", "Rustaveli Avenue", "Abovyan St",
# "Ленинский пр-т", "Невском проспекте", "Chavchavadze gamziri".
_TYPE_AFTER = (
    r"(?:улиц[аеуыи]|пр-к?те?|пр-кт|проспект\w*|переул\w*|бульвар\w*|шоссе|набережн\w*|"
    r"Street|St\.?|Str\.?|Avenue|Ave\.?|Av\.|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Ln\.?|"
    r"Drive|Square|Sq\.?|Prospect|Prospekt|Highway|Hwy|gamziri|kucha|kuchis|poghots|"
    r"poghota|kóşesі|көшесі|даңғылы|street|avenue|road|lane|boulevard|st\.?|ave\.?)"
)
_WORD = r"(?:[A-ZА-ЯЁЂЈЉЊЋЏ0-9][\w'’-]*|[a-zа-яёђјљњћџ]+[\w'’-]*)"
# Capitalised words that start sentences, never street names.
_NOT_NAME = (
    r"(?!(?:На|В|Во|По|С|У|К|О|И|А|Но|Мы|Я|Он|Она|Они|Это|Наш|Наша|Мой|Моя|The|A|An|At|On|"
    r"In|To|Our|My|We|I|It|This|That|And|But|In)\b)"
)
_CAP = rf"(?:{_NOT_NAME}[A-ZА-ЯЁЂЈЉЊЋЏ][\w'’.-]*)"
# The name's first word: capitalised, a number ("8 Марта"), or a lower-case word before a
# capitalised one ("Bulevar kralja Aleksandra").
_FIRST = rf"(?:{_CAP}|\d{{1,2}}[\w-]*|[a-zа-яђјљњћџšđčćž]+\s+{_CAP})"
# House number: 14, 14а, 150/230, 15-27, 221B, 7к2.
_NUMBER = r"(?:№\s?)?\d{1,4}(?:[а-яА-Яa-zA-Z](?![\w]))?(?:\s?[/-]\s?\d{1,4}[а-яa-z]?)?"
_HOUSE = rf"(?:(?:д\.|дом|d\.|dom|house|h\.|br\.|broj)\s*)?{_NUMBER}"
_BUILDING = r"(?:(?:корп\.?|корпус|к\.|стр\.|строение|bld\.?|block)\s*\d{1,3}[а-яa-z]?)"
_FLAT = r"(?:(?:кв\.?|квартира|квартиру|квартире|кв-ра|kv\.?|kvartira|apt\.?|apartment|flat|stan)\s*№?\s*\d{1,4}[а-яa-zA-Z]?)"
_SEP = r"(?:\s*,\s*|\s+)"
_TAIL = rf"(?:{_SEP}{_HOUSE}(?:{_SEP}{_BUILDING})?(?:{_SEP}{_FLAT})?)"

ADDRESS_TYPE_FIRST = re.compile(
    rf"(?<![\w-]){_TYPE_BEFORE}\s*{_FIRST}(?:\s+{_WORD}){{0,3}}?"
    rf"(?:{_TAIL}|(?=\s*[,.;:!?)—]|\s*$))"
)
ADDRESS_TYPE_AFTER = re.compile(
    rf"(?<![\w-])(?:{_NUMBER}\s+)?{_CAP}(?:[\s-]+{_CAP}){{0,2}}\s+{_TYPE_AFTER}(?![\w])"
    rf"(?:{_TAIL})?",
)
# Lowercase street words that take a capitalised name before them in English and Russian
# ("Kostava street 45", "Садовой улице, д. 12").
ADDRESS_NAME_NUMBER_FLAT = re.compile(
    rf"(?<![\w-]){_CAP}(?:\s+{_CAP}){{0,2}}\s+\d{{1,4}}[a-zа-я]?(?:/\d{{1,4}})?{_SEP}{_FLAT}"
)
# A name and a house number after "живу на", "live at", "адрес:": "живём на Руставели 14",
# "Belgrade, Nemanjina 4", "we live at 14 ..." and the like.
ADDRESS_AFTER_CUE = re.compile(
    rf"(?i:(?<!\w)(?:живу|живём|живем|жил|жила|жили|снимаем|снимаю|адрес\w*:?|address:?|"
    rf"live|lives|living|lived|stay|staying|rent)\s+(?:(?:at|on|на|по)\s+)?)"
    rf"((?:{_NUMBER}\s+)?{_CAP}(?:[\s-]+{_WORD}){{0,3}}?{_SEP}{_NUMBER}(?:{_SEP}{_FLAT})?)(?![\w/])"
)
# "Belgrade, Nemanjina 4": a city known to the list, a comma, a capitalised name, a number.
_CITIES = (
    r"(?:Tbilisi|Batumi|Kutaisi|Yerevan|Gyumri|Almaty|Astana|Bishkek|Tashkent|Belgrade|"
    r"Beograd|Novi Sad|Podgorica|Budva|Istanbul|Тбилиси|Батуми|Ереван|Алматы|Астана|"
    r"Бишкек|Ташкент|Белград|Београд|Нови-Сад|Нови Сад|Подгорица|Стамбул)"
)
ADDRESS_AFTER_CITY = re.compile(
    rf"(?<!\w){_CITIES},\s+((?:{_NUMBER}\s+)?{_CAP}(?:[\s-]+{_WORD}){{0,2}}?\s+{_NUMBER}"
    rf"(?:{_SEP}{_FLAT})?)(?![\w/])"
)
FLAT_ALONE = re.compile(rf"(?i:(?<![\w]){_FLAT}(?!\w))")
HOUSE_ALONE = re.compile(
    rf"(?<![\w])(?:д\.|дом|dom)\s*№?\s*\d{{1,4}}[а-я]?(?:{_SEP}{_BUILDING})?(?:{_SEP}{_FLAT})?(?!\w)"
)


# Street words a numberless address needs (lower-cased stems); with no digit and none of
# these, no address pattern can match.
_STREET_STEMS = (
    "ул",
    "пр",
    "пер",
    "б-р",
    "бульв",
    "ш.",
    "шосс",
    "наб",
    "пл",
    "мкр",
    "микр",
    "проезд",
    "тупик",
    "алле",
    "тракт",
    "булев",
    "ulic",
    "ul.",
    "bul",
    "trg",
    "prosp",
    "mkr",
    "mikr",
    "street",
    "st.",
    "st ",
    "ave",
    "av.",
    "road",
    "rd",
    "blvd",
    "lane",
    "ln",
    "drive",
    "square",
    "sq",
    "highway",
    "hwy",
    "gamzir",
    "kucha",
    "poghot",
    "көше",
    "даңғ",
    "str",
)


def find(text: str) -> Iterator[Span]:
    has_digit = any(ch.isdigit() for ch in text)
    lower = text.lower()
    if not has_digit and not any(stem in lower for stem in _STREET_STEMS):
        return
    for pattern in (
        ADDRESS_TYPE_FIRST,
        ADDRESS_TYPE_AFTER,
        ADDRESS_NAME_NUMBER_FLAT,
        FLAT_ALONE,
        HOUSE_ALONE,
    ):
        if has_digit or pattern in (ADDRESS_TYPE_FIRST, ADDRESS_TYPE_AFTER):
            for m in pattern.finditer(text):
                yield Span(m.start(), _trim(text, m.start(), m.end()), "ADDRESS")
    if has_digit:
        for pattern in (ADDRESS_AFTER_CUE, ADDRESS_AFTER_CITY):
            for m in pattern.finditer(text):
                yield Span(m.start(1), _trim(text, m.start(1), m.end(1)), "ADDRESS")


def _trim(text: str, start: int, end: int) -> int:
    """Trailing punctuation and spaces are not part of the address."""
    while end > start and text[end - 1] in " ,.;:":
        end -= 1
    return end
