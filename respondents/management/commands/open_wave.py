import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from respondents.services.waves import find_version, open_link, open_wave
from surveys.models import Study

ERROR_NO_STUDY = "no study with slug {slug!r}"
ERROR_NO_VERSION = "no questionnaire version {version_id}"
ERROR_CLOSES_AT = "--closes-at {value!r} is not an ISO 8601 date-time with a time zone"


def _closes_at(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise CommandError(ERROR_CLOSES_AT.format(value=value))
    return parsed


class Command(BaseCommand):
    help = "Create a wave of a published questionnaire version and open it for responses."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # The scripting contract (docs/design.md) names the version with --version, which Django
        # otherwise takes for "print Django's version"; ours replaces it.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--study", required=True, help="the study's slug")
        parser.add_argument("--version", required=True, type=int, help="a published version ID")
        parser.add_argument("--name", required=True, help="the wave's name, unique in the study")
        parser.add_argument(
            "--channels",
            default="",
            help="comma-separated recruitment channels accepted in ?src= (default: any)",
        )
        parser.add_argument("--closes-at", help="scheduled close, ISO 8601 with time zone")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        study = Study.objects.filter(slug=options["study"]).first()
        if study is None:
            raise CommandError(ERROR_NO_STUDY.format(slug=options["study"]))
        # Another study's version gets the same answer as an unknown one.
        version = find_version(study, options["version"])
        if version is None:
            raise CommandError(ERROR_NO_VERSION.format(version_id=options["version"]))
        channels = [c for c in options["channels"].split(",") if c.strip()]
        try:
            wave = open_wave(
                study,
                version,
                options["name"],
                channels=channels,
                closes_at=_closes_at(options["closes_at"]),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        links = {channel: open_link(wave, channel) for channel in wave.channels}
        if options["json"]:
            summary = {
                "wave": wave.pk,
                "name": wave.name,
                "state": wave.state,
                "open_link": open_link(wave),
                "channel_links": links,
            }
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(f"wave {wave.pk} ({wave.name}) is open: {open_link(wave)}")
        for channel, link in links.items():
            self.stdout.write(f"  {channel}: {link}")
