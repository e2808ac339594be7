import json
from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.models import Wave
from respondents.services.invitations import invite_panel


class Command(BaseCommand):
    help = (
        "Invite the study's active panel members to an open wave: personal links by e-mail "
        "through the rate-limited task; Telegram-only members are listed by telegram_links. "
        "Re-running sends nothing twice; withdrawn members are never invited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wave", type=int, required=True, help="wave ID")
        parser.add_argument("--limit", type=int, help="invite at most this many new members")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        wave = Wave.objects.filter(pk=options["wave"]).select_related("study").first()
        if wave is None:
            raise CommandError(f"wave {options['wave']} does not exist")
        if options["limit"] is not None and options["limit"] < 0:
            raise CommandError("--limit must be zero or more")
        try:
            run = invite_panel(wave, limit=options["limit"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if options["json"]:
            self.stdout.write(json.dumps(asdict(run)))
            return
        self.stdout.write(
            f"wave {wave.pk}: {run.created} invited, {run.emails_queued} e-mails queued, "
            f"{run.telegram_pending} Telegram links pending, {run.without_contact} without contact"
        )
