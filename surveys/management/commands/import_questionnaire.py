import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.diff import ItemTypeChangedError
from surveys.formspec import FormError
from surveys.models import Study
from surveys.services.questionnaires import import_questionnaire

ERROR_NO_FILE = "{path}: no such file"
ERROR_NO_STUDY = "no study with slug {slug!r}"
ERROR_NO_MEDIA = "{path}: no such directory"


class Command(BaseCommand):
    help = "Read an XLSForm (.xlsx, .xls, .csv) or native JSON questionnaire into a new draft."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the form file")
        parser.add_argument("--study", required=True, help="the study's slug")
        parser.add_argument("--name", help="questionnaire name (default: form_id or file name)")
        parser.add_argument(
            "--skip-unsupported",
            action="store_true",
            help="skip items a web survey cannot ask (photo, geopoint, repeat, ...) and list them",
        )
        parser.add_argument(
            "--media",
            help="the directory holding the CSV files that select_*_from_file items name",
        )
        parser.add_argument(
            "--allow-no-labels",
            action="store_true",
            help="accept a form whose items have no labels (respondents see the item names)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(ERROR_NO_FILE.format(path=path))
        if options["media"] and not Path(options["media"]).is_dir():
            raise CommandError(ERROR_NO_MEDIA.format(path=options["media"]))
        study = Study.objects.filter(slug=options["study"]).first()
        if study is None:
            raise CommandError(ERROR_NO_STUDY.format(slug=options["study"]))
        try:
            result = import_questionnaire(
                path,
                study=study,
                skip_unsupported=options["skip_unsupported"],
                allow_no_labels=options["allow_no_labels"],
                media=Path(options["media"]) if options["media"] else None,
                questionnaire_name=options["name"],
            )
        except (FormError, ItemTypeChangedError) as exc:
            raise CommandError(str(exc)) from exc
        skipped = [{"row": s.row, "name": s.name, "type": s.type} for s in result.skipped]
        if options["json"]:
            summary = {
                "version": result.version.pk,
                "questionnaire": result.version.questionnaire.name,
                "number": result.version.number,
                "items": result.items,
                "languages": result.languages,
                "skipped": skipped,
                "warnings": result.warnings,
            }
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(
            f"version {result.version.pk}: {result.items} items, "
            f"languages {', '.join(result.languages)}"
        )
        for item in skipped:
            self.stderr.write(f"skipped row {item['row']}: {item['name']} ({item['type']})")
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
