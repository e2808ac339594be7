import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.diff import ItemTypeChangedError
from surveys.models import FrozenVersionError, QuestionnaireVersion
from surveys.services.questionnaires import publish_version

ERROR_NO_VERSION = "no questionnaire version {version_id}"


class Command(BaseCommand):
    help = "Publish (freeze) a draft questionnaire version; a frozen version never changes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version_id", type=int)
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        version_id = options["version_id"]
        try:
            version = publish_version(version_id)
        except QuestionnaireVersion.DoesNotExist as exc:
            raise CommandError(ERROR_NO_VERSION.format(version_id=version_id)) from exc
        except (FrozenVersionError, ItemTypeChangedError) as exc:
            # ItemTypeChangedError: the draft gives an item another type than a published
            # version does (checked again at publish, see the service).
            raise CommandError(str(exc)) from exc
        if options["json"]:
            summary = {
                "version": version.pk,
                "status": version.status,
                "hash": version.content_hash,
            }
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(f"version {version.pk} published ({version.content_hash[:12]})")
