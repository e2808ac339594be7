"""The export's fixed texts in its language, through Django's translation catalogue.

Every heading, note and fixed label an export writes (missing reasons, flag and paradata
labels, format notes, the codebook's headings) is English in the code, marked with
`gettext_noop` (Django's, or exports.dataset's for the Django-free writers), and translated
here from locale/<language>/LC_MESSAGES/django.po. A language without a catalogue gets the
English text, as Django does.
"""

from __future__ import annotations

from django.utils.translation import gettext, override

from exports.dataset import Translate


def translate_to(language: str, message: str) -> str:
    with override(language):
        return gettext(message)


def translator(language: str) -> Translate:
    """The Dataset's `translate` for one language."""

    def translate(message: str) -> str:
        return translate_to(language, message)

    return translate
