import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.models import Wave
from respondents.services.invitations import send_reminders


class Command(BaseCommand):
    help = (
        "Queue reminders to invited panelists who have not completed, when due "
        "(INVITATION_MAX_REMINDERS, INVITATION_REMINDER_DAYS). Celery beat runs this hourly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wave", type=int, help="only this wave (default: every open wave)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        wave = None
        if options["wave"] is not None:
            wave = Wave.objects.filter(pk=options["wave"]).first()
            if wave is None:
                raise CommandError(f"wave {options['wave']} does not exist")
        queued = send_reminders(wave=wave)
        if options["json"]:
            self.stdout.write(json.dumps({"reminders_queued": queued}))
        else:
            self.stdout.write(f"{queued} reminders queued")
