import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.access import AccessError, grant_role, revoke_role
from surveys.models import StudyRole


class Command(BaseCommand):
    help = "Give a user a role on a study (replacing their role there), or take it away."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--study", required=True, help="the study's slug")
        parser.add_argument("--user", required=True, help="the username")
        parser.add_argument("--role", choices=StudyRole.values, help="the role to grant")
        parser.add_argument("--revoke", action="store_true", help="remove the user's role")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["revoke"] == bool(options["role"]):
            raise CommandError("give either --role ROLE or --revoke")
        try:
            if options["revoke"]:
                revoke_role(study_slug=options["study"], username=options["user"])
                result = {"study": options["study"], "user": options["user"], "role": None}
            else:
                grant = grant_role(
                    study_slug=options["study"], username=options["user"], role=options["role"]
                )
                result = {"study": grant.study_slug, "user": grant.username, "role": grant.role}
        except AccessError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result))
        elif result["role"] is None:
            self.stdout.write(f"{result['user']} no longer has a role on {result['study']}")
        else:
            self.stdout.write(f"{result['user']} is now {result['role']} of {result['study']}")
