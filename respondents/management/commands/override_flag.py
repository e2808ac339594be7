import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.cleaning.service import CleaningError, override_flag, revoke_override


class Command(BaseCommand):
    help = (
        "Record a researcher's decision that a cleaning rule does not apply to a response; "
        "the flag goes and later runs do not raise it again. With --revoke, withdraw it "
        "(the decision stays on record) so the next run raises the flag again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("response", type=int, help="response ID")
        parser.add_argument("rule", help="a rule (duplicate:near) or a family (duplicate)")
        parser.add_argument("--reason", required=True, help="why the flag does not apply")
        parser.add_argument("--user", help="username of the researcher deciding")
        parser.add_argument(
            "--revoke", action="store_true", help="withdraw the active override instead"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"user {options['user']!r}: no such user")
        response, rule, reason = options["response"], options["rule"], options["reason"]
        try:
            if options["revoke"]:
                override = revoke_override(response, rule=rule, reason=reason, revoked_by=user)
            else:
                override = override_flag(response, rule=rule, reason=reason, decided_by=user)
        except CleaningError as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "override": override.pk,
            "response": override.response_id,
            "rule": override.rule,
            "revoked": override.revoked_at is not None,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            state = " (revoked)" if summary["revoked"] else ""
            self.stdout.write(
                f"override {override.pk}: {override.rule} on response {override.response_id}{state}"
            )
