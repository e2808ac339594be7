"""Rosters inside groups walked in Django's client: the household roster of a split
wrapper at its place between the wrapper's groups, the trips roster shown or hidden by
its group's relevant, and both rosters exported as child tables."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from django.test import Client

from exports.assembly import build_dataset
from exports.codebook import ExportDescription
from exports.dataset import ExportSpec
from exports.repeats import write_rosters
from respondents.models import Response, ResponseStatus, Wave
from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.builders import make_study
from tests.respondents.form_helpers import hidden_value, page_post, start_open
from tests.surveys.grouped_roster_forms import grouped_roster_form

pytestmark = pytest.mark.django_db


def _wave(tmp_path: Path) -> Wave:
    study = make_study("grouped", languages=("en",))
    result = import_questionnaire(grouped_roster_form(tmp_path / "g.xlsx"), study=study)
    version = publish_version(result.version.pk)
    return open_wave(study, version, "w1")


def _send(client: Client, url: str, answers: dict[str, list[str]], action: str = "next") -> str:
    html = client.get(url).content.decode()
    posted = client.post(url, page_post(html, answers, action))
    assert posted.status_code in (200, 303), posted.status_code
    if posted.status_code == 200:
        return posted.content.decode()
    return client.get(url).content.decode()


def _walk(wave: Wave, travelled: str) -> list[str]:
    """The pages one respondent sees, answering every page on the way to the end."""
    client = Client()
    url = start_open(client, wave, query="?lang=en")
    member = {"members:1:m_name": ["Nino"], "members:1:m_age": ["41"]}
    trip = {"trips:1:t_place": ["Batumi"], "trips:1:t_days": ["4"]}
    answers = {
        "intro": {"city": ["Tbilisi"], "travelled": [travelled]},
        "members": member,
        "health": {"insured": ["yes"], "visits": ["2"]},
        "travel": {"why": ["Family"]},
        "trips": trip,
        "check": {"right": ["yes"]},
    }
    seen: list[str] = []
    html = client.get(url).content.decode()
    while 'name="_pw_page"' in html and len(seen) < 10:
        page = hidden_value(html, "_pw_page")
        seen.append(page)
        html = _send(client, url, answers[page])
    return seen


def test_the_group_relevant_shows_or_hides_its_roster_and_both_export(tmp_path: Path) -> None:
    wave = _wave(tmp_path)
    # The household roster stands between the wrapper's groups, where the author put it.
    everything = ["intro", "members", "health", "travel", "trips", "check"]
    assert _walk(wave, "yes") == everything
    # Not travelled: the travel group is hidden, and the trips roster inside it with it.
    assert _walk(wave, "no") == ["intro", "members", "health", "check"]

    responses = Response.objects.filter(wave=wave).order_by("pk")
    assert [r.status for r in responses] == [ResponseStatus.COMPLETED] * 2
    first, second = (r.answers for r in responses)
    assert first["trips"] == [{"t_place": "Batumi", "t_days": 4}]
    assert "trips" not in second or not second["trips"]
    assert first["members"] == second["members"] == [{"m_name": "Nino", "m_age": 41}]

    spec = ExportSpec(
        study_id=wave.study_id,
        wave_ids=(wave.pk,),
        sample="combined",
        layout="long",
        k=1,
        include_flagged=True,
        language="en",
        pseudonym_key=b"g" * 32,
    )
    dataset = build_dataset(spec)
    about = ExportDescription(
        study="grouped", format="csv", sample="combined", layout="long", waves=("w1",),
        language="en", k=1, include_flagged=True, created_at=pd.Timestamp.now(tz="UTC"),
    )  # fmt: skip
    out = tmp_path / "csv"
    out.mkdir()
    written = write_rosters(dataset, "csv", about, out, basename="data")
    assert sorted(p.name for p in written if p.suffix == ".csv") == [
        "data-members.csv",
        "data-trips.csv",
    ]
    trips = pd.read_csv(out / "data-trips.csv")
    assert len(trips) == 1
    assert (trips["t_place"].tolist(), trips["t_days"].tolist()) == (["Batumi"], [4])
    members = pd.read_csv(out / "data-members.csv")
    assert members["m_age"].tolist() == [41, 41]
    assert not any(re.search("name", column) for column in members.columns)
