"""The cleaning summary in the admin, for staff; no answers in the lists."""

from __future__ import annotations

import pytest

from respondents.cleaning.service import clean_wave
from respondents.models import CleaningRun
from tests.builders import make_user
from tests.respondents.cleaning_wave import build_cleaning_wave

pytestmark = pytest.mark.django_db


def test_cleaning_run_page_shows_the_wave_summary(client):
    planted = build_cleaning_wave()
    run = clean_wave(planted.wave.pk)
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    page = client.get(f"/admin/respondents/cleaningrun/{run.pk}/change/")
    flags = client.get("/admin/respondents/qualityflag/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f"of 48 responses flagged; 0 overrides (run {run.pk})" in html
    assert "<td>straightliner</td><td>1</td>" in html
    assert flags.status_code == 200
    assert "free text stays out" not in flags.content.decode()
    assert CleaningRun.objects.count() == 1
