"""The fieldwork lists' filters (django-filter FilterSets): a bad value answers 400 naming
the parameter, and each filter appears in the OpenAPI schema."""

from __future__ import annotations

from django_filters import rest_framework as filters  # type: ignore[import-untyped]

from respondents.models import MemberStatus, PanelMember, Wave, WaveState


class WaveFilter(filters.FilterSet):  # type: ignore[misc]
    study = filters.CharFilter(field_name="study__slug", help_text="The study's slug.")
    state = filters.ChoiceFilter(choices=WaveState.choices, help_text="The wave's state.")

    class Meta:
        model = Wave
        fields = ["study", "state"]


class PanelMemberFilter(filters.FilterSet):  # type: ignore[misc]
    study = filters.CharFilter(field_name="study__slug", help_text="The study's slug.")
    status = filters.ChoiceFilter(choices=MemberStatus.choices, help_text="Active or withdrawn.")
    recruited_in = filters.NumberFilter(
        field_name="recruited_in_id", help_text="Members recruited in this wave (its id)."
    )

    class Meta:
        model = PanelMember
        fields = ["study", "status", "recruited_in"]
