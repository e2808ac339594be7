import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.accounts.tokens import create_api_token
from surveys.access import AccessError


class Command(BaseCommand):
    help = (
        "Create (or with --rotate, replace) a user's API token and print it, for "
        "`Authorization: Token <token>`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="replace an existing token")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token = create_api_token(options["username"], rotate=options["rotate"])
        except AccessError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"user": options["username"], "token": token}))
        else:
            self.stdout.write(token)
