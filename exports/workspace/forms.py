"""The export request form: every option of the export_data command."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from exports.anonymise.disclosure import MAX_GLOBAL_RISK
from exports.models import ExportFormat, ExportLayout, ExportSample
from exports.services.requests import DEFAULT_K, MAX_K, MIN_K
from respondents.models import Wave
from surveys.models import Study

SAMPLES = [
    (ExportSample.COMBINED, _("Combined: every response")),
    (ExportSample.PANEL, _("Panel: people seen in two or more waves")),
    (ExportSample.BALANCED, _("Balanced: people seen in every chosen wave")),
]
LAYOUTS = [
    (ExportLayout.LONG, _("Long: one row per person and wave")),
    (ExportLayout.WIDE, _("Wide: one row per person")),
]
FORMATS = [
    (ExportFormat.SAV, _("SPSS (.sav)")),
    (ExportFormat.DTA, _("Stata (.dta)")),
    (ExportFormat.RDS, _("R (.rds)")),
    (ExportFormat.PARQUET, _("Parquet")),
    (ExportFormat.CSV, _("CSV (UTF-8)")),
]
FREE_TEXT = [
    ("scrub", _("Scrub: replace e-mails, phone numbers, handles and links with tags")),
    ("withhold", _("Withhold: leave every free-text answer out")),
]


class WaveChoices(forms.MultipleChoiceField):
    """The study's waves as check boxes. A value outside them is left for request_export
    to refuse: its message names the wave and the study, where the field's own would only
    say the choice is not valid."""

    def valid_value(self, value: Any) -> bool:
        return True


class ExportRequestForm(forms.Form):
    waves = WaveChoices(
        label=_("Waves"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every wave."),
    )
    sample = forms.ChoiceField(
        label=_("Sample"), choices=SAMPLES, initial=ExportSample.COMBINED, widget=forms.RadioSelect
    )
    layout = forms.ChoiceField(
        label=_("Layout"), choices=LAYOUTS, initial=ExportLayout.LONG, widget=forms.RadioSelect
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=FORMATS, initial=ExportFormat.SAV, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Label language"), choices=())
    k = forms.IntegerField(
        label=_("k (smallest group sharing a combination of quasi-identifiers)"),
        initial=DEFAULT_K,
        widget=forms.NumberInput(attrs={"min": MIN_K, "max": MAX_K}),
    )
    max_global_risk = forms.FloatField(
        label=_("Largest expected re-identification rate"),
        initial=MAX_GLOBAL_RISK,
        widget=forms.NumberInput(attrs={"min": "0.0001", "max": "1", "step": "0.0001"}),
        help_text=_("A share: 0.01 means at most one respondent in a hundred."),
    )
    include_flagged = forms.BooleanField(
        label=_("Include responses flagged by cleaning"),
        required=False,
        help_text=_("They carry their flags as columns, so analysts can drop them later."),
    )
    free_text = forms.ChoiceField(
        label=_("Free-text answers"), choices=FREE_TEXT, initial="scrub", widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        waves: Any = self.fields["waves"]
        waves.choices = [
            (str(pk), name)
            for pk, name in Wave.objects.filter(study=study)
            .order_by("opens_at", "created_at", "pk")
            .values_list("pk", "name")
        ]
        language: Any = self.fields["language"]
        language.choices = [(code, code) for code in study.languages or [study.default_language]]
        language.initial = study.default_language
