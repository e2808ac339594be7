"""Forms of the fieldwork workspace: opening a wave, overriding a quality flag."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import QuestionnaireVersion, Study, VersionStatus

# Channels are typed as a list: commas, spaces or new lines between them.
CHANNEL_SEPARATORS = re.compile(r"[\s,;]+")
# The browser's datetime-local value, and the same with seconds.
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class VersionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        version: QuestionnaireVersion = obj
        name = version.questionnaire.title or version.questionnaire.name
        if version.status == VersionStatus.PUBLISHED:
            return str(_("%(name)s, version %(number)d (published)")) % {
                "name": name,
                "number": version.number,
            }
        return str(_("%(name)s, version %(number)d (draft: publish it first)")) % {
            "name": name,
            "number": version.number,
        }


class OpenWaveForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    # Drafts are listed too, marked as such: choosing one gets the service's refusal on
    # the page, which says what to do, where a missing choice would leave a team guessing.
    version = VersionChoiceField(label=_("Questionnaire version"), queryset=None)
    channels = forms.CharField(
        label=_("Channels"),
        required=False,
        help_text=_(
            "Optional. Short names of the places you share the link, such as tg_news, email: "
            "each gets its own link. Lower-case letters, digits, '.', '-' and '_'."
        ),
    )
    closes_at = forms.DateTimeField(
        label=_("Close time (UTC)"),
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Optional. The wave stops taking answers then and closes."),
    )
    open_now = forms.BooleanField(
        label=_("Open it now"),
        required=False,
        initial=True,
        help_text=_("Unticked, the wave is kept as a draft you can open later."),
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["version"]
        field.queryset = (
            QuestionnaireVersion.objects.filter(questionnaire__study=study)
            .select_related("questionnaire")
            .order_by("questionnaire__name", "-number")
        )

    def clean_channels(self) -> list[str]:
        text: str = self.cleaned_data.get("channels", "")
        return [part for part in CHANNEL_SEPARATORS.split(text) if part]


class OverrideFlagForm(forms.Form):
    response = forms.IntegerField(widget=forms.HiddenInput)
    rule = forms.CharField(max_length=64, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        help_text=_("Why the rule does not apply to this response; kept with your name."),
    )
