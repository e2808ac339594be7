"""Forms of the surveys app's workspace pages. They check shape; the rules live in the
services (surveys/services/studies.py, questionnaires.py, surveys/access.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from surveys.models import StudyRole
from surveys.services.studies import STUDY_LANGUAGES, StudySettings, language_name
from surveys.services.uploads import (
    MAX_MEDIA_FILES,
    MEDIA_SUFFIXES,
    UPLOAD_SUFFIXES,
    media_problem,
    upload_problem,
)

# Consent boxes shown before any language is chosen: the two the interface speaks.
FIRST_CONSENT_LANGUAGES = ("ru", "en")
CONSENT_PREFIX = "consent_"
TITLE_PREFIX = "title_"


def language_label(code: str) -> str:
    return f"{language_name(code)} ({code})"


def consent_languages(chosen: list[str]) -> list[str]:
    """Languages that get a consent text box: the chosen ones and the first two, in list order."""
    wanted = set(chosen) | set(FIRST_CONSENT_LANGUAGES)
    return [code for code in STUDY_LANGUAGES if code in wanted]


class StudyForm(forms.Form):
    """Title, languages (checkboxes, with the default chosen apart) and consent per language."""

    title = forms.CharField(label=_("Title"), max_length=200)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=[(code, language_label(code)) for code in STUDY_LANGUAGES],
        widget=forms.CheckboxSelectMultiple,
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=[(code, language_label(code)) for code in STUDY_LANGUAGES],
        help_text=_("Shown to respondents whose own language the study does not offer."),
    )

    def __init__(self, *args: Any, chosen: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in consent_languages(chosen):
            self.fields[TITLE_PREFIX + code] = forms.CharField(
                label=_("Title: %(language)s") % {"language": language_label(code)},
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"lang": code}),
            )
        for code in consent_languages(chosen):
            self.fields[CONSENT_PREFIX + code] = forms.CharField(
                label=_("Consent text: %(language)s") % {"language": language_label(code)},
                required=False,
                max_length=20_000,
                widget=forms.Textarea(attrs={"rows": 6, "lang": code}),
            )

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(CONSENT_PREFIX)]

    def title_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(TITLE_PREFIX)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        languages = data.get("languages") or []
        default = data.get("default_language")
        if languages and default and default not in languages:
            self.add_error("default_language", _("Tick the default language among the languages."))
        return data

    def settings(self) -> StudySettings:
        data = self.cleaned_data
        chosen = list(data["languages"])
        ordered = [data["default_language"]] + [c for c in STUDY_LANGUAGES if c in chosen]
        languages = tuple(dict.fromkeys(ordered))
        consent = {
            name.removeprefix(CONSENT_PREFIX): value
            for name, value in data.items()
            if name.startswith(CONSENT_PREFIX) and value.strip()
        }
        titles = {
            name.removeprefix(TITLE_PREFIX): value
            for name, value in data.items()
            if name.startswith(TITLE_PREFIX) and value.strip()
        }
        return StudySettings(
            title=data["title"],
            languages=languages,
            consent_text=consent,
            title_translations=titles,
        )


class NewStudyForm(StudyForm):
    slug = forms.SlugField(
        label=_("Short name (slug)"),
        max_length=64,
        help_text=_("Lowercase letters, digits and hyphens; part of the study's web addresses."),
    )
    field_order = ["title", "slug", "languages", "default_language"]


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=StudyRole.choices)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe): a list, possibly empty."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(MEDIA_SUFFIXES)}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(one, initial) for one in files]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("XLSForm or JSON questionnaire"),
        help_text=_("An .xlsx, .xls or .csv XLSForm, or Panelwave's JSON format."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(UPLOAD_SUFFIXES)}),
    )
    name = forms.SlugField(
        label=_("Questionnaire name"),
        max_length=100,
        required=False,
        help_text=_("Leave empty to use the form's form_id, else the file name."),
    )
    skip_unsupported = forms.BooleanField(
        label=_("Skip items a web survey cannot ask (photo, location, repeat…) and list them"),
        required=False,
    )
    allow_no_labels = forms.BooleanField(
        label=_("Accept items without labels (respondents then see the item names)"),
        required=False,
    )
    choice_files = MultipleFileField(
        label=_("Choice list files"),
        required=False,
        help_text=_(
            "The .csv or .xml files the form's select_one_from_file and "
            "select_multiple_from_file items name, if any."
        ),
    )

    def clean_choice_files(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data["choice_files"]
        if len(files) > MAX_MEDIA_FILES:
            raise forms.ValidationError(
                _("At most %(limit)d choice list files can be given with a form.")
                % {"limit": MAX_MEDIA_FILES}
            )
        problems = [media_problem(f.name or "", f.size or 0) for f in files]
        if any(problems):
            raise forms.ValidationError([p for p in problems if p])
        return files

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        problem = upload_problem(upload.name or "", upload.size or 0)
        if problem is not None:
            raise forms.ValidationError(problem)
        return upload
