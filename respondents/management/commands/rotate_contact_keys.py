import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from respondents.fingerprints import rotate_fingerprint_keys
from respondents.services.contacts import rotate_contact_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every contact and every wave fingerprint key under the newest key in "
        "PANELWAVE_CONTACT_KEYS (put the new key first, run this, then drop the old key)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        contacts = rotate_contact_keys()
        waves = rotate_fingerprint_keys()
        if options["json"]:
            self.stdout.write(json.dumps({"contacts": contacts, "wave_keys": waves}))
        else:
            self.stdout.write(f"re-encrypted {contacts} contacts and {waves} wave keys")
