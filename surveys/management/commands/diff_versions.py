import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.diff import ItemTypeChangedError, VersionDiff
from surveys.models import QuestionnaireVersion
from surveys.services.questionnaires import diff_versions

ERROR_NO_VERSION = "no questionnaire version {version_id}"


class Command(BaseCommand):
    help = "List the items added, removed and changed (wording, choices, logic) from A to B."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("old_version_id", type=int, metavar="A")
        parser.add_argument("new_version_id", type=int, metavar="B")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        old_id, new_id = options["old_version_id"], options["new_version_id"]
        for version_id in (old_id, new_id):
            if not QuestionnaireVersion.objects.filter(pk=version_id).exists():
                raise CommandError(ERROR_NO_VERSION.format(version_id=version_id))
        try:
            diff = diff_versions(old_id, new_id)
        except ItemTypeChangedError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(diff.as_dict(), ensure_ascii=False, default=str))
        else:
            self.stdout.write(_text(diff))


def _text(diff: VersionDiff) -> str:
    if diff.is_empty and not diff.warnings:
        return "no differences"
    lines = [f"+ {name}" for name in diff.added] + [f"- {name}" for name in diff.removed]
    lines += [
        f"~ {item.name}: " + ", ".join(c.field for c in item.changes) for item in diff.changed
    ]
    lines += [f"+ page {name}" for name in diff.pages_added]
    lines += [f"- page {name}" for name in diff.pages_removed]
    lines += [
        f"~ page {page.name}: " + ", ".join(c.field for c in page.changes)
        for page in diff.pages_changed
    ]
    lines += [f"~ form: {change.field}" for change in diff.form_changes]
    lines += [f"! {warning}" for warning in diff.warnings]
    return "\n".join(lines)
