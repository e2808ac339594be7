"""A Kobo form wrapped in one "survey" group is walked page by page (the groups inside
the wrapper), not as one long page; the wrapper's and the groups' `relevant` still hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from respondents.services.waves import open_wave
from surveys.services.questionnaires import import_questionnaire, publish_version
from tests.builders import make_study
from tests.respondents.form_helpers import hidden_value, page_post, start_open
from tests.surveys.test_xlsform_coverage import _wrapped

pytestmark = pytest.mark.django_db


def _next(client: Client, url: str, answers: dict[str, list[str]]) -> str:
    html = client.get(url).content.decode()
    assert client.post(url, page_post(html, answers)).status_code == 303
    return client.get(url).content.decode()


@pytest.mark.parametrize(
    ("consent", "pages"),
    [("yes", ["household", "income", "thanks"]), ("no", ["income", "thanks"])],
)
def test_the_wrapper_groups_are_the_pages(tmp_path: Path, consent: str, pages: list[str]) -> None:
    study = make_study(f"wrapped-{consent}", languages=("default",))
    result = import_questionnaire(_wrapped(tmp_path), study=study)
    wave = open_wave(study, publish_version(result.version.pk), "w1")
    client = Client()
    url = start_open(client, wave)
    html = client.get(url).content.decode()
    assert hidden_value(html, "_pw_page") == "consent"
    assert "How many people?" not in html
    html = _next(client, url, {"consent": [consent]})
    seen = [hidden_value(html, "_pw_page")]
    if seen[0] == "household":
        assert "Head</h2>" in html
        assert "Income last month" not in html
        html = _next(client, url, {"size": ["3"], "age": ["40"]})
        seen.append(hidden_value(html, "_pw_page"))
    html = _next(client, url, {"amount": ["100"]})
    seen.append(hidden_value(html, "_pw_page"))
    assert seen == pages
