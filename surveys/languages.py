"""Language codes from what form authors write: `English`, `Swahili`, `العربية`, `EN`.

Forms name their languages in column headers (`label::Swahili`, `label::English (en)`);
a code is what the respondent form needs (`<html lang>`, the language switch, Django's
translations). Names are matched whatever their case and diacritics, in English or in the
language itself, against Django's table of languages plus the ones humanitarian forms use
that Django lacks. A name that matches nothing stays as written.
"""

from __future__ import annotations

import unicodedata

from django.conf.locale import LANG_INFO  # a plain table; no settings are read

# Languages of the forms Panelwave fields that Django's table lacks, by English name.
_EXTRA_NAMES = {
    "pashto": "ps",
    "dari": "prs",
    "somali": "so",
    "hausa": "ha",
    "amharic": "am",
    "tigrinya": "ti",
    "kurdish": "ku",
    "sorani": "ckb",
    "kurmanji": "kmr",
    "uzbek": "uz",
    "kyrgyz": "ky",
    "tajik": "tg",
    "turkmen": "tk",
    "tigre": "tig",
    "fulfulde": "ff",
    "lingala": "ln",
    "bambara": "bm",
    "haitian creole": "ht",
    "rohingya": "rhg",
    "chechen": "ce",
    "farsi": "fa",
    # Django lists only Simplified and Traditional Chinese; a bare "Chinese" means both.
    "chinese": "zh",
    "mandarin": "zh",
}
# Right-to-left scripts: Django marks some (bidi); these are the rest forms use.
_RTL = {"ar", "fa", "he", "ur", "ps", "prs", "ug", "ckb", "dv", "yi", "sd", "ku-arab", "rhg"}


def _fold(text: str) -> str:
    """Lower case without diacritics or vowel marks: `العربيّة` and `العربية` match."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _names() -> dict[str, str]:
    names = dict(_EXTRA_NAMES)
    for code, info in LANG_INFO.items():
        if "name" not in info:
            continue  # fallback entries such as "zh" point at another code
        names.setdefault(_fold(str(info["name"])), code)
        names.setdefault(_fold(str(info["name_local"])), code)
    return names


_BY_NAME = _names()
_KNOWN_CODES = {code.lower() for code in LANG_INFO} | set(_EXTRA_NAMES.values())


def language_code(written: str) -> str:
    """The code for a language name or code as a form writes it; unknown names stay."""
    text = written.strip()
    if text.lower() in _KNOWN_CODES:
        return text.lower()
    return _BY_NAME.get(_fold(text), text)


def known_code(code: str) -> str:
    """A code written in a header's parentheses, in lower case when it is a known one."""
    return code.lower() if code.lower() in _KNOWN_CODES else code


def is_rtl(code: str) -> bool:
    base = code.lower()
    info = LANG_INFO.get(base) or LANG_INFO.get(base.split("-")[0]) or {}
    return bool(info.get("bidi")) or base in _RTL or base.split("-")[0] in _RTL


def local_name(code: str) -> str:
    """The language's own name for the language switch (`Kiswahili`), else the code."""
    info = LANG_INFO.get(code.lower()) or {}
    return str(info.get("name_local") or code)
