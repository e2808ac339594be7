import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.itembank import ITEM_BANK_PATH, ItemBankError
from surveys.services.itembank import load_item_bank


class Command(BaseCommand):
    help = "Load the WVS-7/ESS harmonised item bank (surveys/data/harmonised-items.yaml)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(ITEM_BANK_PATH))
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            result = load_item_bank(path)
        except ItemBankError as exc:
            raise CommandError(str(exc)) from exc
        summary = {"created": result.created, "updated": result.updated, "total": result.total}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(f"item bank: {result.total} concepts ({result.created} new)")
