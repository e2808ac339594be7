"""People's names in Russian and Latin script.

A word is read on its own first (Russian morphology for Cyrillic words, a first-name list
and surname endings for Latin ones), then in context: a word that could be a name becomes
one after a cue ("зовут", "соседка", "my friend"), next to another name or initials, or
(at the start of a sentence) before a verb in the past tense. Words that are also ordinary
words (Вера, Надежда, Любовь, Роза; Mark, May, Rose) need such a cue. Public figures stay,
with the first name and patronymic beside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from respondents.freetext.scrub import morph
from respondents.freetext.scrub.figures import FIGURES, GIVEN_NAMES
from respondents.freetext.scrub.spans import Span

WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
INITIALS = re.compile(r"(?<!\w)[A-ZА-ЯЁ]\.(?:\s?[A-ZА-ЯЁ]\.)?")
CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
LATIN = re.compile(r"[A-Za-z]")
# Latin letters that look like Cyrillic ones: "Ивaн" typed with a Latin "a".
CONFUSABLES = str.maketrans("aeopcxykmtABEKMHOPCTX", "аеорсхукмтАВЕКМНОРСТХ")

# Words after which the next word is a person: kin, neighbours, colleagues, officials.
RU_CUES = frozenset(
    [
        "зовут",
        "звать",
        "имя",
        "мама",
        "мать",
        "папа",
        "отец",
        "брат",
        "сестра",
        "муж",
        "жена",
        "сын",
        "дочь",
        "дочка",
        "сестрёнка",
        "братишка",
        "тётя",
        "тетя",
        "дядя",
        "бабушка",
        "дедушка",
        "внук",
        "внучка",
        "племянник",
        "племянница",
        "свекровь",
        "тёща",
        "теща",
        "свёкор",
        "тесть",
        "зять",
        "невестка",
        "кузен",
        "кузина",
        "друг",
        "подруга",
        "приятель",
        "приятельница",
        "знакомый",
        "знакомая",
        "парень",
        "девушка",
        "жених",
        "невеста",
        "сосед",
        "соседка",
        "коллега",
        "начальник",
        "начальница",
        "директор",
        "директриса",
        "следователь",
        "участковый",
        "командир",
        "адвокат",
        "юрист",
        "психолог",
        "тренер",
        "пастор",
        "священник",
        "батюшка",
        "заведующий",
        "заведующая",
        "замдекана",
        "декан",
        "ректор",
        "воспитательница",
        "воспитатель",
        "учитель",
        "учительница",
        "преподаватель",
        "преподавательница",
        "волонтёр",
        "волонтер",
        "куратор",
        "бывший",
        "бывшая",
        "арендодатель",
        "хозяин",
        "хозяйка",
        "некий",
        "некая",
        "гражданин",
        "гражданка",
        "господин",
        "госпожа",
        "товарищ",
        "майор",
        "капитан",
        "лейтенант",
        "полковник",
        "сержант",
        "опер",
        "оперативник",
        "врач",
        "доктор",
        "медсестра",
        "одноклассник",
        "одноклассница",
        "однокурсник",
        "однокурсница",
        "коллега",
        "сотрудник",
        "сотрудница",
        "журналист",
        "журналистка",
    ]
)
EN_CUES = frozenset(
    [
        "friend",
        "boss",
        "husband",
        "wife",
        "son",
        "daughter",
        "brother",
        "sister",
        "mother",
        "mom",
        "mum",
        "father",
        "dad",
        "cousin",
        "neighbour",
        "neighbor",
        "colleague",
        "lawyer",
        "investigator",
        "officer",
        "director",
        "dean",
        "pastor",
        "priest",
        "volunteer",
        "psychologist",
        "landlord",
        "landlady",
        "partner",
        "girlfriend",
        "boyfriend",
        "teacher",
        "doctor",
        "named",
        "called",
        "uncle",
        "aunt",
        "grandma",
        "grandpa",
        "grandmother",
        "grandfather",
        "niece",
        "nephew",
        "fiance",
        "fiancee",
        "guy",
        "man",
        "woman",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "journalist",
    ]
)
TITLES = frozenset({"mr", "mrs", "ms", "dr", "prof", "г-н", "г-жа"})
# Russian names that are also common words: a name only with a cue.
RU_AMBIGUOUS = frozenset(
    [
        "вера",
        "надежда",
        "любовь",
        "роза",
        "лилия",
        "слава",
        "мира",
        "мир",
        "лев",
        "мила",
        "майя",
        "ника",
        "злата",
        "соня",
        "уля",
        "лена",
        "нина",
        "валя",
        "ангелина",
        "жанна",
        "алла",
        "дана",
        "марта",
        "юля",
        "катя",
        "ян",
        "роман",
    ]
)
# Latin-script names that are also English words, or names of places and months.
EN_AMBIGUOUS = frozenset(
    [
        "mark",
        "may",
        "june",
        "april",
        "august",
        "rose",
        "hope",
        "faith",
        "grace",
        "will",
        "bill",
        "art",
        "jack",
        "frank",
        "sue",
        "pat",
        "rob",
        "ray",
        "dawn",
        "joy",
        "amber",
        "holly",
        "sunny",
        "ivy",
        "summer",
        "miles",
        "lane",
        "drew",
        "dean",
        "chase",
        "max",
        "don",
        "guy",
        "nick",
        "rich",
        "gene",
        "sandy",
        "penny",
        "said",
        "islam",
        "tea",
        "mane",
        "nana",
        "roma",
        "lev",
        "dana",
        "ana",
        "slava",
        "sultan",
        "jean",
        "eugene",
        "victoria",
        "sofia",
        "roman",
        "kim",
        "ali",
        "tim",
        "sam",
        "ben",
        "dan",
        "carol",
        "sona",
        "ani",
        "gor",
        "luka",
        "eka",
        "nika",
        "maia",
        "maka",
        "zara",
        "murat",
        "bolat",
        "almaz",
        "ulan",
        "amir",
        "dato",
        "christian",
        "georgia",
        "paris",
        "florence",
        "lily",
    ]
)
# Latin surname endings (Slavic, Georgian, Armenian, Serbian) and words with them that
# are not surnames.
LATIN_SURNAME = re.compile(
    r"(?:ov|ova|ev|eva|yov|yova|sky|skiy|skii|skaya|enko|chuk|shvili|dze|yan|vić|vic|"
    r"vich|ovna|evna|kina|kin|shin|shina|ovsky|evsky|ski|ska|czyk|wicz|ko)$"
)
NOT_SURNAMES = frozenset(
    [
        "pskov",
        "kirov",
        "rostov",
        "saratov",
        "tambov",
        "orenburg",
        "lipetsk",
        "kislovodsk",
        "lermontov",
        "rzhev",
        "kharkov",
        "kharkiv",
        "lviv",
        "kyiv",
        "kiev",
        "chisinau",
        "moscow",
        "moskva",
        "sochi",
        "batumi",
        "zugdidi",
        "borjomi",
        "yerevan",
        "sevan",
        "dilijan",
        "tsaghkadzor",
        "vanadzor",
        "kazakhstan",
        "ok",
        "tomsk",
        "omsk",
        "novosibirsk",
        "turkmenistan",
        "yes",
        "also",
        "via",
        "nov",
        "prov",
        "gov",
        "dev",
    ]
)
RU_SURNAME = re.compile(
    r"(?:ов|ова|ев|ева|ёв|ёва|ин|ина|ский|ская|цкий|цкая|енко|чук|юк|швили|дзе|ян|ич|ович|"
    r"евич|овна|евна)$"
)


@cache
def latin_first_names() -> frozenset[str]:
    text = (resources.files(__package__) / "data" / "first_names_latin.txt").read_text("utf-8")
    words = [w for line in text.splitlines() if not line.startswith("#") for w in line.split()]
    return frozenset(words)


@dataclass
class Token:
    start: int
    end: int
    text: str
    lower: str
    cyrillic: bool
    capital: bool
    sentence_start: bool
    # NAME (a person), CAND (a name if the context says so), FIG (a public figure), or "".
    label: str = ""
    first_name: bool = False
    figure_key: str = ""


def find(text: str, figures: frozenset[str] = frozenset()) -> Iterator[Span]:
    tokens = _tokens(text)
    if not tokens:
        return
    all_figures = FIGURES | figures
    for token in tokens:
        _read(token, all_figures)
    _context(tokens, text)
    yield from _spans(tokens, text)


def _tokens(text: str) -> list[Token]:
    out = []
    for m in WORD.finditer(text):
        word = m.group()
        if CYRILLIC.search(word) and LATIN.search(word):
            word = word.translate(CONFUSABLES)
        before = text[max(0, m.start() - 12) : m.start()].rstrip(" \t\"'«(“")
        out.append(
            Token(
                start=m.start(),
                end=m.end(),
                text=word,
                lower=word.lower(),
                cyrillic=bool(CYRILLIC.search(word)),
                capital=word[0].isupper(),
                sentence_start=(not before and m.start() < 12)
                or (bool(before) and before[-1] in ".!?…\n;:"),
            )
        )
    return out


def _read(token: Token, figures: frozenset[str]) -> None:
    if len(token.text) == 1:
        return  # an initial: joined to the name beside it by _with_initials
    if token.cyrillic:
        _read_cyrillic(token, figures)
    else:
        _read_latin(token, figures)


def _read_cyrillic(token: Token, figures: frozenset[str]) -> None:
    reading = morph.read(token.lower)
    hits = (reading.lemmas | {token.lower}) & figures
    if hits and (reading.personal > 0 or token.capital or not reading.known):
        token.label, token.figure_key = "FIG", min(hits)
        return
    lemma_ambiguous = token.lower in RU_AMBIGUOUS or bool(reading.lemmas & RU_AMBIGUOUS)
    ambiguous = lemma_ambiguous and reading.noun
    token.first_name = reading.name >= 0.3 or (lemma_ambiguous and reading.name > 0)
    if reading.patronymic >= 0.5:
        token.label = "NAME"
    elif token.capital and not token.sentence_start:
        if (
            (reading.personal >= 0.1 and reading.place < 0.5)
            or (not reading.known and RU_SURNAME.search(token.lower))
            or (reading.personal > 0 and ambiguous)
        ):
            token.label = "NAME"
        else:
            token.label = "CAND"
    elif token.capital:
        strong = reading.name >= 0.5 or reading.surname >= 0.5
        if strong and not ambiguous and reading.place < 0.5:
            token.label = "NAME"
        elif reading.personal > 0 or not reading.known:
            token.label = "CAND"
    elif reading.name >= 0.5 and not ambiguous:
        token.label = "NAME"
    elif reading.personal >= 0.2:
        token.label = "CAND"


def _read_latin(token: Token, figures: frozenset[str]) -> None:
    lower = re.sub(r"['’]s$", "", token.lower)  # "Giorgi's family"
    if lower in figures:
        token.label, token.figure_key = "FIG", lower
        return
    is_first = lower in latin_first_names()
    token.first_name = is_first
    ambiguous = lower in EN_AMBIGUOUS
    surname = (
        len(lower) > 3
        and LATIN_SURNAME.search(lower) is not None
        and lower not in NOT_SURNAMES
        and lower not in latin_first_names()
    )
    if token.capital and not token.sentence_start:
        if (is_first and not ambiguous) or surname:
            token.label = "NAME"
        else:
            token.label = "CAND"
    elif token.capital:
        if (is_first and not ambiguous) or surname:
            token.label = "NAME"
        elif is_first:
            token.label = "CAND"
    elif is_first:
        token.label = "CAND" if ambiguous else "NAME"


def _gap(text: str, left: Token, right: Token) -> str:
    return text[left.end : right.start]


def _cue(tokens: Sequence[Token], i: int, text: str) -> bool:
    """Does a cue word stand right before token i ("соседка Лилия", "my friend, Arsen")?"""
    if i == 0:
        return False
    prev = tokens[i - 1]
    if _gap(text, prev, tokens[i]).strip(" ,") not in ("", "-", "—", ":"):
        return False
    if prev.lower in EN_CUES or prev.lower in TITLES:
        return True
    if i >= 2 and prev.lower == "is" and tokens[i - 2].lower == "name":
        return True
    if prev.lower in ("i'm", "im") or (prev.lower == "am" and tokens[i - 2].lower == "i"):
        return tokens[i].first_name or tokens[i].label == "NAME"
    if prev.cyrillic:
        return bool(morph.read(prev.lower).lemmas & RU_CUES) or prev.lower in RU_CUES
    return False


def _adjacent(text: str, left: Token, right: Token) -> bool:
    return _gap(text, left, right) in (" ", "  ", "-")


def _context(tokens: list[Token], text: str) -> None:
    n = len(tokens)
    # Cues, then neighbours, twice so that "Игорь Валентинович Соколов" joins up.
    for i, token in enumerate(tokens):
        if token.label in ("CAND", "") and _cue(tokens, i, text) and _may_be_named(token):
            token.label = "NAME"
    for _ in range(2):
        for i, token in enumerate(tokens):
            if token.label != "CAND":
                continue
            left = tokens[i - 1] if i > 0 else None
            right = tokens[i + 1] if i + 1 < n else None
            if left and left.label == "NAME" and _adjacent(text, left, token) and token.capital:
                token.label = "NAME"
            elif right and right.label == "NAME" and _adjacent(text, token, right):
                if token.capital == right.capital:
                    token.label = "NAME"
            elif token.first_name and right and right.label == "CAND" and right.capital:
                # "Maria Kowalski": a first name, then a capitalised word.
                if token.capital and not right.sentence_start and _adjacent(text, token, right):
                    token.label = right.label = "NAME"
            elif (
                # "Мила ушла с работы": a name-like word opening a sentence, then a verb.
                token.sentence_start
                and token.cyrillic
                and token.first_name
                and right
                and right.cyrillic
                and morph.read(right.lower).past_verb
            ):
                token.label = "NAME"
    _figures(tokens, text)


def _may_be_named(token: Token) -> bool:
    """After a cue: a capitalised word, a known first name, or a lower-case word Russian
    morphology allows to be a name ("сестра надя", not "сосед сказал")."""
    if not (token.label == "CAND" or token.capital or token.first_name):
        return False
    if token.cyrillic and not token.capital:
        return morph.read(token.lower).personal >= 0.1
    return True


def _figures(tokens: list[Token], text: str) -> None:
    """Names beside a public figure's surname are the figure's, unless they are a first
    name the figure does not have ("Тимур Алиев" is somebody else)."""
    for i, token in enumerate(tokens):
        if token.label != "FIG":
            continue
        given = GIVEN_NAMES.get(token.figure_key)
        j = i - 1
        while (
            j >= 0
            and tokens[j].label in ("NAME", "CAND")
            and _adjacent(text, tokens[j], tokens[j + 1])
        ):
            words = {tokens[j].lower}
            if tokens[j].cyrillic:
                words |= morph.read(tokens[j].lower).lemmas
            patronymic = tokens[j].cyrillic and morph.read(tokens[j].lower).patronymic >= 0.5
            if given is not None and not patronymic and not words & given and tokens[j].first_name:
                token.label = "NAME"
                break
            tokens[j].label = "FIG"
            j -= 1


def _spans(tokens: list[Token], text: str) -> Iterator[Span]:
    start = end = -1
    for i, token in enumerate(tokens):
        if token.label != "NAME":
            continue
        s, e = token.start, token.end
        if (
            i > 0
            and tokens[i - 1].lower in TITLES
            and _gap(text, tokens[i - 1], token) in (". ", " ")
        ):
            s = tokens[i - 1].start
        if start >= 0 and _gap_is_join(text[end:s]):
            end = e
            continue
        if start >= 0:
            yield _with_initials(text, start, end)
        start, end = s, e
    if start >= 0:
        yield _with_initials(text, start, end)


def _gap_is_join(gap: str) -> bool:
    return gap in (" ", "-", "  ")


def _with_initials(text: str, start: int, end: int) -> Span:
    after = INITIALS.match(text, end + 1) if text[end : end + 1] == " " else None
    if after:
        end = after.end()
    head = text[max(0, start - 7) : start]
    before = re.search(r"(?<!\w)[A-ZА-ЯЁ]\.(?:\s?[A-ZА-ЯЁ]\.)?\s$", head)
    if before:
        start = start - len(head) + before.start()
    return Span(start, end, "NAME")
