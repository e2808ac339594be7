"""Contact details: e-mail addresses (spelled out too), phone numbers, messenger handles and
links, URLs, IP addresses, card and document numbers.

Every pattern is compiled once at import and written so that it runs in linear time
(no nested unbounded repetition), since answers come from anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from respondents.freetext.scrub.spans import Span

# Top-level domains a spelled-out address may end in ("ivan at gmail dot com"); the list
# keeps "dot com era" and "at home" out: an address needs a local part, a domain and one
# of these.
TLDS = (
    "com|ru|org|net|io|me|info|biz|edu|gov|ua|by|kz|kg|uz|ge|am|az|rs|me|de|fr|uk|co|"
    "su|lv|lt|ee|pl|cz|il|tr|nl|fi|se|eu|рф|ру|ком|нет|орг"
)
# Mail providers people name without the dot: "ivan at gmail", "иван собака яндекс".
PROVIDERS = (
    "gmail|googlemail|yandex|ya|mail|inbox|list|bk|rambler|protonmail|proton|pm|outlook|"
    "hotmail|yahoo|icloud|tutanota|tuta|гмейл|гмэйл|джимейл|яндекс|мейл|майл|рамблер|протон"
)
# A local part is dot-separated runs: the dots are matched by _DOT only, so there is one way
# to split "a.b.c" and the match stays linear.
_LOCAL = r"[A-Za-z0-9_+-]{1,64}"
_DOMAIN_LABEL = r"[A-Za-zА-Яа-яЁё0-9](?:[A-Za-zА-Яа-яЁё0-9-]{0,61}[A-Za-zА-Яа-яЁё0-9])?"
_AT = r"(?:\s*@\s*|\s*[\[({<]\s*(?:at|ат|собака)\s*[\])}>]\s*|\s+(?:at|собака|собачка|эт)\s+)"
_DOT = r"(?:\s*\.\s*|\s*[\[({<]\s*(?:dot|точка|тчк)\s*[\])}>]\s*|\s+(?:dot|точка|тчк)\s+)"
# Words that stand before "at" in ordinary English ("we met at google dot com" is rare,
# "worked at ..." is common): never taken for the local part of a spelled-out address.
_NOT_LOCAL = (
    r"(?!(?:i|we|you|he|she|they|it|me|us|him|her|them|met|was|were|is|are|am|be|been|"
    r"work|works|worked|working|stay|stayed|look|looked|looking|arrived|live|lived|"
    r"living|job|jobs|here|there|one|two|all|people|someone|everyone|home|and|or|but|"
    r"я|мы|он|она|они|моя|мой|наша|наш|их)\b)"
)

EMAIL = re.compile(
    rf"(?<![\w.@-]){_NOT_LOCAL}{_LOCAL}(?:{_DOT}{_LOCAL}){{0,5}}{_AT}"
    rf"(?:{_DOMAIN_LABEL}{_DOT}){{1,5}}(?:{TLDS})(?![\w-])",
    re.IGNORECASE,
)
EMAIL_PROVIDER = re.compile(
    rf"(?<![\w.@-]){_NOT_LOCAL}{_LOCAL}(?:{_DOT}{_LOCAL}){{0,5}}{_AT}(?:{PROVIDERS})"
    rf"(?:{_DOT}(?:{TLDS}))?(?![\w-])",
    re.IGNORECASE,
)

URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"'«»]+"
    r"|\b(?:[a-z0-9-]{1,63}\.){1,6}(?:com|ru|org|net|io|me|ge|am|kz|rs|by|ua|su|info|рф)/[^\s<>\"'«»]*"
)
TELEGRAM_LINK = re.compile(
    r"(?i)\b(?:https?://)?(?:t\.me|telegram\.me|telegram\.dog)/[A-Za-z0-9_+/-]+|\btg://[^\s<>\"']+"
)
# Messengers and networks named in English or Russian, in any case and declension.
_SERVICE = (
    r"(?:telegram|telegramm|tg|телеграмм?\w*|телег\w*|тг|tlg|inst(?:a|agram)?|инст\w*|"
    r"vk|вк|вконтакте|facebook|fb|фб|фейсбук\w*|twitter|твиттер\w*|signal|сигнал\w*|"
    r"skype|скайп\w*|viber|вайбер\w*|whats\s?app|ватсап\w*|вотсап\w*|threads|discord|"
    r"дискорд\w*|ник\w*|nick(?:name)?|username|логин|login)"
)
_HANDLE = r"@?[A-Za-z][A-Za-z0-9_.]{3,31}[A-Za-z0-9_]"
# "@handle": Telegram and Instagram names are 5-32 letters, digits, underscores, dots.
HANDLE_AT = re.compile(r"(?<![\w@.])@[A-Za-z][A-Za-z0-9_.]{2,31}[A-Za-z0-9_]")
# A service word, then (within two words) something shaped like a handle: as in
# «телеграм ivan_petrov», «tg: olga_smirnova», «мой ник в телеге petr_pervy».
# In English prose a Latin word after "telegram" is usually ordinary ("telegram channels"),
# so without a colon the handle must hold an underscore, a digit or a dot, or an @.
HANDLE_NAMED = re.compile(
    rf"(?i)(?<!\w){_SERVICE}(?:\s+(?:в|во|in|on|is|это|—|-))?\s*[:=\u2013\u2014-]\s*{_HANDLE}(?!\w)"
    rf"|(?<!\w){_SERVICE}(?:\s+(?:в|во|in|on)\s+\w+|\s+(?:is|это))?\s+"
    r"(?:@[A-Za-z][A-Za-z0-9_.]{2,31}[A-Za-z0-9_]|[A-Za-z][A-Za-z0-9.]{0,30}[_\d][A-Za-z0-9_.]{0,30})"
    r"(?!\w)"
)
# After a Cyrillic service word a Latin token cannot be Russian prose: "мой тг masha_tbilisi".
HANDLE_NAMED_RU = re.compile(
    r"(?i)(?<!\w)(?:телеграмм?\w*|телег\w*|тг|инст\w*|вк|ник\w*|скайп\w*|логин)"
    r"(?:\s+(?:в|во)\s+\w+)?\s+@?[A-Za-z][A-Za-z0-9_.]{3,31}(?!\w)"
)

# Phones: an international number, a Russian or Kazakh domestic one, or any run of 9-15
# digits in the usual groupings. Dates (8 digits), years and sums are shorter or have a
# shape of their own (see _is_sum).
PHONE = re.compile(
    r"(?<![\w+])\+\s?\d(?:[\s().-]{0,2}\d){7,14}(?!\d)"
    r"|(?<![\w+])\d(?:[\s().-]{0,2}\d){8,14}(?!\d)"
)
_SUM = re.compile(r"\d{1,3}(?: \d{3})+")
_YEARS = re.compile(r"(?:(?:19|20)\d\d[\s,-]*){2,}")
# Digits spelled out: "восемь девять один шесть ...", "plus seven nine one six ...".
_NUMBER_WORDS = (
    r"(?:ноль|нуль|один|одна|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|"
    r"одиннадцать|двенадцать|тринадцать|четырнадцать|пятнадцать|шестнадцать|семнадцать|"
    r"восемнадцать|девятнадцать|двадцать|тридцать|сорок|пятьдесят|шестьдесят|семьдесят|"
    r"восемьдесят|девяносто|сто|двести|триста|четыреста|пятьсот|шестьсот|семьсот|"
    r"восемьсот|девятьсот|плюс|zero|oh|one|two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|plus|\d{1,4})"
)
PHONE_SPELLED = re.compile(
    rf"(?i)(?<!\w){_NUMBER_WORDS}(?:[\s,-]{{1,3}}{_NUMBER_WORDS}){{6,40}}(?!\w)"
)
IP = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"
)
CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
# Russian passport (series and number: 4 + 6 digits) written with its spaces.
PASSPORT = re.compile(r"(?<!\d)\d{2}\s\d{2}\s\d{6}(?!\d)")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_sum(text: str) -> bool:
    """1 500 000, 2014-2022 2023: grouped like money or a list of years, not a phone."""
    return bool(_SUM.fullmatch(text) or _YEARS.fullmatch(text.strip()))


# Cheap substring tests that skip a pattern which cannot match: most answers hold no
# contact at all, and these keep scrubbing over a thousand answers a second.
_AT_WORDS = ("@", " at ", "(at", "[at", "{at", "<at", "собак", " эт ", " ат ", "(ат", "[ат")
_SERVICE_STEMS = (
    "tele",
    "tg",
    "тг",
    "тел",
    "inst",
    "инст",
    "vk",
    "вк",
    "fb",
    "фб",
    "face",
    "фейс",
    "twit",
    "твит",
    "signal",
    "сигнал",
    "skype",
    "скайп",
    "viber",
    "вайб",
    "whats",
    "ватс",
    "вотс",
    "threads",
    "discord",
    "дискорд",
    "ник",
    "nick",
    "user",
    "логин",
    "login",
    "tlg",
)
_NUMBER_STEMS = (
    "один",
    "одна",
    "два",
    "две",
    "три",
    "четыр",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девят",
    "ноль",
    "нуль",
    "сорок",
    "сто",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "zero",
    "ten",
    "twenty",
)


def find(text: str) -> Iterator[Span]:
    lower = text.lower()
    digits = sum(ch.isdigit() for ch in text) if any(ch.isdigit() for ch in text) else 0
    patterns: list[tuple[re.Pattern[str], str]] = []
    if any(word in lower for word in _AT_WORDS):
        patterns += [(EMAIL, "EMAIL"), (EMAIL_PROVIDER, "EMAIL"), (HANDLE_AT, "TELEGRAM")]
    if "/" in text or "www" in lower:
        patterns += [(TELEGRAM_LINK, "TELEGRAM"), (URL, "URL")]
    if any(stem in lower for stem in _SERVICE_STEMS):
        patterns += [(HANDLE_NAMED, "TELEGRAM"), (HANDLE_NAMED_RU, "TELEGRAM")]
    if digits >= 4:
        patterns += [(IP, "IP"), (PASSPORT, "ID_NUMBER")]
    for pattern, kind in patterns:
        for m in pattern.finditer(text):
            yield Span(m.start(), m.end(), kind)
    if digits >= 9:
        for m in CARD.finditer(text):
            digits_only = re.sub(r"\D", "", m.group())
            if 13 <= len(digits_only) <= 19 and _luhn(digits_only) and not _is_sum(m.group()):
                yield Span(m.start(), m.end(), "CARD")
    if digits >= 8:
        for m in PHONE.finditer(text):
            if not _is_sum(m.group()):
                yield Span(m.start(), m.end(), "PHONE")
    if sum(lower.count(stem) for stem in _NUMBER_STEMS) >= 4:
        for m in PHONE_SPELLED.finditer(text):
            yield Span(m.start(), m.end(), "PHONE")
