import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.inputerrors import InputError
from surveys.models import Study
from surveys.services.questionnaires import (
    start_questionnaire_from_concepts,
)

ERROR_NO_STUDY = "no study with slug {slug!r}"


class Command(BaseCommand):
    help = (
        "Start a draft questionnaire whose items are item-bank concepts, in their WVS-7 "
        "(else ESS) wording; run load_item_bank first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("concepts", nargs="+", metavar="CONCEPT", help="item-bank keys")
        parser.add_argument("--study", required=True, help="the study's slug")
        parser.add_argument("--name", required=True, help="the questionnaire's name")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        study = Study.objects.filter(slug=options["study"]).first()
        if study is None:
            raise CommandError(ERROR_NO_STUDY.format(slug=options["study"]))
        try:
            version = start_questionnaire_from_concepts(
                study, options["concepts"], questionnaire_name=options["name"]
            )
        except InputError as exc:
            raise CommandError(str(exc)) from exc
        items = list(version.questions.order_by("position").values_list("name", flat=True))
        if options["json"]:
            summary = {
                "version": version.pk,
                "questionnaire": version.questionnaire.name,
                "number": version.number,
                "items": len(items),
                "languages": list(version.languages),
            }
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(f"version {version.pk}: {len(items)} items ({', '.join(items)})")
