import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.services.studies import StudySettings, StudySettingsError, create_study

ERROR_CONSENT_FILE = "{path}: {problem}"
CONSENT_FILE_SHAPE = 'not a JSON object of language and text, like {"ru": "...", "en": "..."}'


def _consent(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(ERROR_CONSENT_FILE.format(path=path, problem="no such file")) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(ERROR_CONSENT_FILE.format(path=path, problem=exc)) from exc
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in data.items()
    ):
        raise CommandError(ERROR_CONSENT_FILE.format(path=path, problem=CONSENT_FILE_SHAPE))
    return data


class Command(BaseCommand):
    help = "Create a study: the first step of any script."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="the study's slug (part of its links)")
        parser.add_argument("--title", required=True, help="the study's title")
        parser.add_argument(
            "--languages",
            required=True,
            help="comma-separated language codes, the default first (e.g. ru,en)",
        )
        parser.add_argument(
            "--consent-file",
            type=Path,
            help='a JSON file of consent text by language: {"ru": "...", "en": "..."}',
        )
        parser.add_argument("--owner", help="a username to make the study's first owner")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        languages = tuple(code.strip() for code in options["languages"].split(",") if code.strip())
        consent = _consent(options["consent_file"]) if options["consent_file"] else {}
        settings = StudySettings(title=options["title"], languages=languages, consent_text=consent)
        try:
            study = create_study(slug=options["slug"], settings=settings, owner=options["owner"])
        except StudySettingsError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            summary = {
                "study": study.slug,
                "title": study.title,
                "languages": study.languages,
                "consent": sorted(study.consent_text),
            }
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(f"study {study.slug} created ({', '.join(study.languages)})")
