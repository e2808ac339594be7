"""Commands start without the heavy libraries and print nothing on stderr (their timing is
bench/manage_help.py's business, not a test's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "pyarrow", "presidio_analyzer", "spacy", "openpyxl", "pyxform", "numpy")

LOADED = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.contrib import admin
admin.autodiscover()
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in %r)))
"""


def _embedded(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "PANELWAVE_VAR_DIR": str(tmp_path / "var")}


def test_settings_app_loading_and_the_admin_load_no_heavy_library(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", LOADED % (HEAVY,)],
        cwd=ROOT,
        env=_embedded(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert done.stderr == ""


def test_help_prints_nothing_on_stderr(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "help"],
        cwd=ROOT,
        env=_embedded(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    assert "create_study" in done.stdout
