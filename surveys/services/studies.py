"""Studies: creating one and changing its settings (title, languages, consent text).

One home for the rules a study's settings obey, whichever interface asks (the workspace's
forms, `create_study`): a slug that is a URL segment of its own, languages from a known
list, consent text only for the study's languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf.locale import LANG_INFO
from django.db import IntegrityError, transaction

from surveys.access import AccessError, grant_role
from surveys.models import MAX_TITLE_CHARS, Study, StudyRole

# Languages a study may offer its respondents, in the order forms list them. The survey's
# own texts come from its questionnaire; Django's locale data gives each code its name.
STUDY_LANGUAGES: tuple[str, ...] = (
    "ru", "en", "uk", "be", "kk", "ky", "uz", "tg", "hy", "ka", "az", "ro",
    "lv", "lt", "et", "pl", "sr", "tr", "he", "de", "fr", "es",
)  # fmt: skip
# Path segments of /workspace/ that are pages, not studies.
RESERVED_SLUGS = frozenset({"new"})
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_CONSENT_CHARS = 20_000

ERROR_SLUG = (
    "slug {slug!r} must be 1-64 lowercase letters, digits and inner hyphens (it is part of "
    "the study's web addresses)"
)
ERROR_SLUG_RESERVED = "slug {slug!r} is reserved; choose another"
ERROR_SLUG_TAKEN = "a study with slug {slug!r} already exists"
ERROR_TITLE = "the title must be 1-200 characters"
ERROR_NO_LANGUAGES = "choose at least one language"
ERROR_LANGUAGE = "language {code!r} is not one of {codes}"
ERROR_DUPLICATE_LANGUAGE = "language {code!r} is listed twice"
ERROR_TITLE_LANGUAGE = "a title in {code!r}, which is not one of the study's languages"
ERROR_TITLE_LENGTH = "the title in {code!r} is longer than {limit} characters"
ERROR_CONSENT_LANGUAGE = "consent text in {code!r}, which is not one of the study's languages"
ERROR_CONSENT_LENGTH = "the consent text in {code!r} is longer than {limit} characters"


class StudySettingsError(ValueError):
    """Refused study settings; the message names the problem."""


@dataclass(frozen=True)
class StudySettings:
    title: str
    # The first language is the default: shown when a respondent's own is not offered.
    languages: tuple[str, ...]
    consent_text: dict[str, str]
    # The title respondents see in each language; `title` where a language has none.
    title_translations: dict[str, str] = field(default_factory=dict)


def language_name(code: str) -> str:
    info: dict[str, Any] = LANG_INFO.get(code, {})
    return str(info.get("name_local") or info.get("name") or code)


def check_slug(slug: str) -> str:
    if not SLUG_PATTERN.match(slug):
        raise StudySettingsError(ERROR_SLUG.format(slug=slug))
    if slug in RESERVED_SLUGS:
        raise StudySettingsError(ERROR_SLUG_RESERVED.format(slug=slug))
    if Study.objects.filter(slug=slug).exists():
        raise StudySettingsError(ERROR_SLUG_TAKEN.format(slug=slug))
    return slug


def check_settings(settings: StudySettings) -> StudySettings:
    """The settings, cleaned (stripped texts, empty consent texts dropped), or a refusal."""
    title = settings.title.strip()
    if not 1 <= len(title) <= 200:
        raise StudySettingsError(ERROR_TITLE)
    if not settings.languages:
        raise StudySettingsError(ERROR_NO_LANGUAGES)
    seen: set[str] = set()
    for code in settings.languages:
        if code not in STUDY_LANGUAGES:
            raise StudySettingsError(
                ERROR_LANGUAGE.format(code=code, codes=", ".join(STUDY_LANGUAGES))
            )
        if code in seen:
            raise StudySettingsError(ERROR_DUPLICATE_LANGUAGE.format(code=code))
        seen.add(code)
    consent: dict[str, str] = {}
    for code, text in settings.consent_text.items():
        text = text.replace("\r\n", "\n").strip()
        if not text:
            continue
        if code not in seen:
            raise StudySettingsError(ERROR_CONSENT_LANGUAGE.format(code=code))
        if len(text) > MAX_CONSENT_CHARS:
            raise StudySettingsError(
                ERROR_CONSENT_LENGTH.format(code=code, limit=MAX_CONSENT_CHARS)
            )
        consent[code] = text
    titles: dict[str, str] = {}
    for code, text in settings.title_translations.items():
        text = " ".join(text.split())
        if not text:
            continue
        if code not in seen:
            raise StudySettingsError(ERROR_TITLE_LANGUAGE.format(code=code))
        if len(text) > MAX_TITLE_CHARS:
            raise StudySettingsError(ERROR_TITLE_LENGTH.format(code=code, limit=MAX_TITLE_CHARS))
        titles[code] = text
    return StudySettings(
        title=title,
        languages=tuple(settings.languages),
        consent_text=consent,
        title_translations=titles,
    )


def study_title(study: Study, language: str) -> str:
    """The study's title in `language` (invitations, reminders), else its one title."""
    return dict(study.title_translations or {}).get(language) or study.title


def respondent_title(
    study: Study, language: str, *, form_titles: dict[str, str], form_language: str
) -> str:
    """The title a respondent reading `language` sees: the questionnaire's own title in
    that language (XLSForm `form_title::Language`), else the study's in that language, else
    the questionnaire's in its source language, else the study's one title."""
    own = dict(study.title_translations or {}).get(language, "")
    return (
        form_titles.get(language)
        or own
        or form_titles.get(form_language)
        or study_title(study, study.default_language)
    )


@transaction.atomic
def create_study(*, slug: str, settings: StudySettings, owner: str | None = None) -> Study:
    """A new study; `owner` (a username) becomes its first owner."""
    check_slug(slug)
    clean = check_settings(settings)
    study = Study(
        slug=slug,
        title=clean.title,
        languages=list(clean.languages),
        default_language=clean.languages[0],
        consent_text=clean.consent_text,
        title_translations=clean.title_translations,
    )
    study.full_clean()
    try:
        with transaction.atomic():
            study.save()
    except IntegrityError as exc:  # the same slug created between the check and here
        raise StudySettingsError(ERROR_SLUG_TAKEN.format(slug=slug)) from exc
    if owner is not None:
        try:
            grant_role(study_slug=slug, username=owner, role=StudyRole.OWNER)
        except AccessError as exc:
            raise StudySettingsError(str(exc)) from exc
    return study


@transaction.atomic
def update_study(study: Study, settings: StudySettings) -> Study:
    """Change the study's title (and its translations), languages (the first is the
    default) and consent text."""
    clean = check_settings(settings)
    study.title = clean.title
    study.languages = list(clean.languages)
    study.default_language = clean.languages[0]
    study.consent_text = clean.consent_text
    study.title_translations = clean.title_translations
    study.full_clean()
    study.save(
        update_fields=[
            "title",
            "title_translations",
            "languages",
            "default_language",
            "consent_text",
        ]
    )
    return study
