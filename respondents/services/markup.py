"""Labels as their authors meant them: answers piped in, the XLSForm markup subset rendered.

XLSForm labels may pipe answers (`${item}`: the answer, or a choice's label) and use a
small Markdown subset (https://xlsform.org, "Formatting"): `**bold**` / `__bold__`,
`*italic*` / `_italic_`, `# heading` lines (levels 1-6), `[text](https://...)` links,
line breaks (a newline or `<br>`), and `<span style="color: ...">` for colour. Everything
is escaped first and only those constructs are turned back into tags, so a label (or an
answer piped into it) can never inject markup; a link must be http(s) or mailto.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_PIPE = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}")
_BREAK = re.compile(r"&lt;br\s*/?&gt;", re.IGNORECASE)
_SPAN = re.compile(
    r"&lt;span\s+style\s*=\s*(?:&quot;|&#x27;)\s*color\s*:\s*"
    r"(?P<colour>#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,20})\s*;?\s*(?:&quot;|&#x27;)\s*&gt;"
    r"(?P<text>.*?)&lt;/span&gt;",
    re.IGNORECASE | re.DOTALL,
)
_LINK = re.compile(r"\[(?P<text>[^\]\n]+)\]\((?P<url>(?:https?://|mailto:)[^\s)]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")


def pipes_answers(text: str) -> bool:
    """Whether the text pipes an answer in (`${item}`), so it differs between respondents."""
    return _PIPE.search(text) is not None


def pipe(text: str, value_of: Callable[[str], str]) -> str:
    """`text` with each `${key}` replaced by the answer's display text (still plain)."""
    return _PIPE.sub(lambda match: value_of(match[1]), text)


def placeholders(text: str) -> str:
    """`text` with each `${key}` as `[key]`: a label read where no one answer is known (an
    export's variable and value labels)."""
    return _PIPE.sub(lambda match: f"[{match[1]}]", text)


def piped_keys(text: str) -> list[str]:
    """The keys `text` pipes, in order, each once."""
    return list(dict.fromkeys(match[1] for match in _PIPE.finditer(text)))


def render(text: str, value_of: Callable[[str], str] | None = None) -> SafeString:
    """The label as safe HTML: escaped, piped, and with the markup subset applied."""
    if value_of is not None:
        # Answers are escaped here, with the characters the markup rules read turned into
        # entities (their `&` held as \x02 until the end), so a respondent's `*` or `<b>`
        # stays text.
        text = _PIPE.sub(lambda m: "\x00" + _neutral(value_of(m[1])) + "\x01", text)
    html = escape(text).replace("\x00", "").replace("\x01", "")
    html = _BREAK.sub("\n", html)
    lines = []
    for line in html.split("\n"):
        heading = _HEADING.match(line.strip())
        if heading:
            level = min(len(heading[1]) + 1, 6)
            lines.append(
                f'<span class="md-h{level}" role="heading" aria-level="{level}">'
                f"{_inline(heading[2])}</span>"
            )
        else:
            lines.append(_inline(line))
    return mark_safe("<br>".join(lines))  # noqa: S308 (built from escaped text only)


def _neutral(answer: str) -> str:
    """An answer's characters that the markup rules read, as HTML entities."""
    table = {"*": "&#42;", "_": "&#95;", "#": "&#35;", "[": "&#91;"}
    escaped = str(escape(answer))
    return "".join(table.get(char, char) for char in escaped).replace("&", "\x02")


def _inline(html: str) -> str:
    html = _SPAN.sub(lambda m: f'<span style="color: {m["colour"]}">{m["text"]}</span>', html)
    html = _LINK.sub(
        lambda m: f'<a href="{m["url"]}" rel="noopener noreferrer" target="_blank">{m["text"]}</a>',
        html,
    )
    html = _BOLD.sub(lambda m: f"<strong>{m[1] or m[2]}</strong>", html)
    html = _ITALIC.sub(lambda m: f"<em>{m[1] or m[2]}</em>", html)
    return html.replace("\x02", "&")


def display_values(
    answers: Mapping[str, object], choice_label: Callable[[str, str], str]
) -> Callable[[str], str]:
    """What `${key}` shows: a choice's label for a select, numbers without a trailing
    `.0`, a multiple choice's labels joined with commas, "" when unanswered."""

    def value_of(key: str) -> str:
        value = answers.get(key)
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(choice_label(key, str(item)) for item in value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return choice_label(key, str(value))

    return value_of
