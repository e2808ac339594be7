"""The fieldwork API's request and response shapes: waves, invitations and their counts,
fieldwork figures, and panel members (pseudonym and status only, never contacts). Input
serializers check shape and types; the services check the rest and name the field."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from respondents.models import PanelMember, Wave, WaveState
from respondents.services.waves import open_link


class WaveSerializer(serializers.ModelSerializer[Wave]):
    study = serializers.CharField(source="study.slug", read_only=True)
    open_link = serializers.SerializerMethodField()

    class Meta:
        model = Wave
        fields = [
            "id",
            "study",
            "version",
            "name",
            "state",
            "opens_at",
            "closes_at",
            "channels",
            "open_link",
            "created_at",
        ]
        read_only_fields = fields

    def get_open_link(self, wave: Wave) -> str:
        return open_link(wave)


class OpenWaveSerializer(serializers.Serializer[Any]):
    study = serializers.SlugField()
    version = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    channels = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class WaveStateSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=WaveState.choices)


class InvitePanelSerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)


class InvitationRunSerializer(serializers.Serializer[Any]):
    wave_id = serializers.IntegerField()
    created = serializers.IntegerField()
    emails_queued = serializers.IntegerField()
    telegram_pending = serializers.IntegerField()
    without_contact = serializers.IntegerField()
    possible_duplicates = serializers.IntegerField()


class InvitationCountsSerializer(serializers.Serializer[Any]):
    invitations = serializers.IntegerField()
    sent = serializers.IntegerField()
    opened = serializers.IntegerField()
    started = serializers.IntegerField()
    completed = serializers.IntegerField()
    reminded = serializers.IntegerField()


class CountRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(allow_blank=True)
    completes = serializers.IntegerField()
    partials = serializers.IntegerField()


class WaveFiguresSerializer(serializers.Serializer[Any]):
    wave_id = serializers.IntegerField()
    completes = serializers.IntegerField()
    partials = serializers.IntegerField()
    invited = serializers.IntegerField()
    invited_completed = serializers.IntegerField()
    panel_response_rate = serializers.FloatField(allow_null=True)
    previous_wave_id = serializers.IntegerField(allow_null=True)
    previous_completers = serializers.IntegerField()
    retained = serializers.IntegerField()
    retention = serializers.FloatField(allow_null=True)
    median_duration_seconds = serializers.FloatField(allow_null=True)
    by_day = CountRowSerializer(many=True)
    by_channel = CountRowSerializer(many=True)
    by_language = CountRowSerializer(many=True)


class PanelMemberSerializer(serializers.ModelSerializer[PanelMember]):
    study = serializers.CharField(source="study.slug", read_only=True)

    class Meta:
        model = PanelMember
        # Deliberately no contact, no panel-key hash, no database ID.
        fields = ["pseudonym", "study", "status", "recruited_in", "created_at", "withdrawn_at"]
        read_only_fields = fields
