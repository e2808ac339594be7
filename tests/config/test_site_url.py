"""Every link the system prints or sends starts with SITE_URL, and `make demo` sets
SITE_URL from PORT."""

from __future__ import annotations

import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from respondents.services.waves import open_link
from respondents.tokens import personal_link
from tests.respondents.form_helpers import make_wave

ROOT = Path(__file__).resolve().parents[2]
SITE = "http://127.0.0.1:8170"


def test_make_demo_serves_and_links_on_the_port_it_is_given():
    plan = subprocess.run(
        ["make", "-n", "demo", "PORT=8170"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert f"SITE_URL={SITE}" in plan
    assert "runserver 127.0.0.1:8170" in plan


@pytest.mark.django_db
def test_load_demo_prints_links_on_the_site_url(settings):
    settings.SITE_URL = SITE
    out = StringIO()
    call_command("load_demo", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    links = [value for key, value in summary.items() if key.endswith(("_url", "_link"))]
    assert len(links) == 4
    assert all(link.startswith(f"{SITE}/") for link in links), links


@pytest.mark.django_db
def test_open_and_personal_links_start_with_the_site_url(settings):
    settings.SITE_URL = "https://survey.example.org"
    wave = make_wave()
    assert open_link(wave, "tg") == f"https://survey.example.org/s/{wave.slug}/?src=tg"
    assert personal_link("abc").startswith("https://survey.example.org/i/")
