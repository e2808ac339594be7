import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.models import QuestionnaireVersion
from surveys.services.questionnaires import export_questionnaire

ERROR_NO_VERSION = "no questionnaire version {version_id}"
ERROR_NO_DIRECTORY = "{path}: the directory does not exist"
ERROR_IS_DIRECTORY = "{path}: is a directory; give the file to write"
ERROR_CANNOT_WRITE = "{path}: cannot write the file ({reason})"


class Command(BaseCommand):
    help = "Write a questionnaire version as an XLSForm (.xlsx) or native JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version_id", type=int)
        parser.add_argument("--format", choices=["xlsform", "json"], required=True)
        parser.add_argument("--out", required=True, help="the file to write")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(ERROR_NO_DIRECTORY.format(path=out.parent))
        if out.is_dir():
            raise CommandError(ERROR_IS_DIRECTORY.format(path=out))
        try:
            path = export_questionnaire(options["version_id"], format=options["format"], out=out)
        except QuestionnaireVersion.DoesNotExist as exc:
            raise CommandError(ERROR_NO_VERSION.format(version_id=options["version_id"])) from exc
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise CommandError(ERROR_CANNOT_WRITE.format(path=out, reason=reason)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"version": options["version_id"], "file": str(path)}))
        else:
            self.stdout.write(f"wrote {path}")
