import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from respondents.models import PanelMember
from respondents.services.contacts import find_members_by_contact
from respondents.services.erasure import erase_member
from surveys.models import Study


class Command(BaseCommand):
    help = (
        "Erase a panel member's contact details (their answers stay, linked only to the "
        "pseudonym), or with --with-responses their answers and membership too. Find the "
        "member by --pseudonym, or by --email / --telegram through the blind index (every "
        "match is erased, in every study unless --study is given)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--pseudonym", help="the member's pseudonym")
        who.add_argument("--email", help="an e-mail address the member gave")
        who.add_argument("--telegram", help="a Telegram handle the member gave")
        parser.add_argument("--study", help="limit an --email/--telegram search to this study")
        parser.add_argument(
            "--with-responses", action="store_true", help="delete their responses too"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def _members(self, options: dict[str, Any]) -> list[PanelMember]:
        if options["pseudonym"]:
            return list(PanelMember.objects.filter(pseudonym=options["pseudonym"].strip()))
        study_id = None
        if options["study"]:
            study = Study.objects.filter(slug=options["study"]).first()
            if study is None:
                raise CommandError(f"study {options['study']!r} does not exist")
            study_id = study.pk
        try:
            return find_members_by_contact(
                email=options["email"] or "", telegram=options["telegram"] or "", study_id=study_id
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

    def handle(self, *args: Any, **options: Any) -> None:
        members = self._members(options)
        if not members:
            # Neither the address nor the pseudonym is echoed back.
            raise CommandError("no panel member matches")
        erased = [erase_member(m, with_responses=options["with_responses"]) for m in members]
        pseudonyms = [erasure.pseudonym for erasure in erased]
        summary = {
            "erased": pseudonyms,
            "contacts_erased": sum(erasure.contact_erased for erasure in erased),
            "responses_deleted": sum(erasure.responses_deleted for erasure in erased),
            "members_deleted": sum(erasure.member_deleted for erasure in erased),
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"erased {len(erased)} member(s): {', '.join(pseudonyms)}; "
            f"{summary['responses_deleted']} responses deleted"
        )
