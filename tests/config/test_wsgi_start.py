"""A gunicorn worker loads the error page when it starts, not on its first failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.config.test_settings import ROOT

PROBE = (
    "import json, sys; before = 'django.templatetags.cache' in sys.modules; "
    "import config.wsgi; "
    "print(json.dumps([before, 'django.templatetags.cache' in sys.modules]))"
)


def test_importing_the_wsgi_application_loads_the_error_page_and_its_tag_libraries() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False, True]
