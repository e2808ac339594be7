"""create_study: the first command of any script."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Study, StudyMembership, StudyRole
from tests.builders import make_study, make_user

pytestmark = pytest.mark.django_db


def _json(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("create_study", *args, "--json", stdout=out)
    result: dict[str, object] = json.loads(out.getvalue())
    return result


def test_creates_a_study_with_its_languages_consent_and_owner(tmp_path: Path):
    make_user("olga")
    consent = tmp_path / "consent.json"
    consent.write_text(json.dumps({"ru": "Согласие", "en": "Consent"}), encoding="utf-8")
    result = _json(
        "--slug", "panel", "--title", "Panel", "--languages", "ru,en",
        "--consent-file", str(consent), "--owner", "olga",
    )  # fmt: skip
    assert result == {
        "study": "panel",
        "title": "Panel",
        "languages": ["ru", "en"],
        "consent": ["en", "ru"],
    }
    study = Study.objects.get(slug="panel")
    assert (study.default_language, study.consent_text["ru"]) == ("ru", "Согласие")
    assert StudyMembership.objects.get(study=study).role == StudyRole.OWNER


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug", "taken", "--languages", "ru"], "a study with slug 'taken' already exists"),
        (["--slug", "Bad slug", "--languages", "ru"], "slug 'Bad slug' must be"),
        (["--slug", "new", "--languages", "ru"], "slug 'new' is reserved"),
        (["--slug", "x", "--languages", "ru,xx"], "language 'xx' is not one of"),
        (["--slug", "x", "--languages", ""], "choose at least one language"),
        (["--slug", "x", "--languages", "ru", "--owner", "ghost"], "user 'ghost' does not exist"),
    ],
)
def test_bad_input_is_one_line_and_creates_nothing(args: list[str], message: str):
    make_study("taken")
    with pytest.raises(CommandError, match=message):
        call_command("create_study", "--title", "T", *args)
    assert list(Study.objects.values_list("slug", flat=True)) == ["taken"]


def test_a_consent_file_in_another_language_or_shape_is_refused(tmp_path: Path):
    wrong_language = tmp_path / "uk.json"
    wrong_language.write_text(json.dumps({"uk": "Згода"}), encoding="utf-8")
    with pytest.raises(CommandError, match="consent text in 'uk'"):
        call_command("create_study", "--slug", "x", "--title", "T", "--languages", "ru",
                     "--consent-file", str(wrong_language))  # fmt: skip
    not_a_mapping = tmp_path / "list.json"
    not_a_mapping.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CommandError, match="not a JSON object"):
        call_command("create_study", "--slug", "x", "--title", "T", "--languages", "ru",
                     "--consent-file", str(not_a_mapping))  # fmt: skip
    assert not Study.objects.exists()


def test_help_exits_zero():
    done = subprocess.run(
        [sys.executable, "manage.py", "create_study", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0
    assert "--consent-file" in done.stdout
