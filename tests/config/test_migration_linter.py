"""The migration linter `make test` runs refuses a migration the previous release could
not run against (a NOT NULL column it would not fill, a dropped column it still reads)
and passes the expand step that replaces it. Each case is a throwaway app linted by
`python -m config.migrationlint` in a subprocess, as the Makefile runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

INITIAL = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Note",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("text", models.TextField()),
            ],
        ),
    ]
"""
STEP = """
from django.db import migrations, models

class Migration(migrations.Migration):
    dependencies = [("lintcase", "0001_initial")]
    operations = [{operation}]
"""
NOT_NULL = 'migrations.AddField("note", "mood", models.CharField(max_length=8, default="ok"))'
DROPPED = 'migrations.RemoveField("note", "text")'
NULLABLE = 'migrations.AddField("note", "mood", models.CharField(max_length=8, null=True))'


def _lint(tmp_path: Path, operation: str) -> subprocess.CompletedProcess[str]:
    app = tmp_path / "lintcase"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "migrations" / "0001_initial.py").write_text(textwrap.dedent(INITIAL))
    (app / "migrations" / "0002_step.py").write_text(STEP.format(operation=operation))
    (tmp_path / "lint_settings.py").write_text(
        "from config.settings import *  # noqa\nINSTALLED_APPS = [*INSTALLED_APPS, 'lintcase']\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lint_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{settings.BASE_DIR}",
    }
    return subprocess.run(
        [sys.executable, "-m", "config.migrationlint", "lintcase"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("operation", "reason"),
    [(NOT_NULL, "NOT NULL constraint"), (DROPPED, "DROPPING columns")],
)
def test_a_backward_incompatible_migration_fails_the_lint(tmp_path, operation, reason):
    done = _lint(tmp_path, operation)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "(lintcase, 0002_step)... ERR" in done.stdout
    assert reason in done.stdout


def test_an_expand_step_passes_the_lint(tmp_path):
    # The linter is strict: even db_default counts as NOT NULL; an expand step adds the
    # column nullable, and a later release fills it and tightens it.
    done = _lint(tmp_path, NULLABLE)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Erroneous migrations: 0/" in done.stdout


def test_the_projects_own_migrations_pass_the_lint():
    done = subprocess.run(
        [sys.executable, "-m", "config.migrationlint"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
