"""Review before release: decisions stored, audited, re-applied after a new scrub, and the
page open to owners and fieldwork managers (two-factor) only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from respondents.freetext import review, services
from respondents.freetext import scrub as scrub_module
from respondents.freetext.models import FreeTextDecision, ScrubbedAnswer
from respondents.models import Response
from tests.exports.fixtures import build_three_wave_panel
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db

COMMENT = "Спасибо фонду Надежда, брат работает в Газпроме"


@pytest.fixture
def answer() -> tuple[Any, Response]:
    panel = build_three_wave_panel()
    response = Response.objects.filter(wave_id__in=panel.wave_ids, answers__has_key="comment")[0]
    response.answers["comment"] = COMMENT
    response.save()
    services.rescrub_stale()
    return panel, response


def _text(response: Response) -> str:
    return ScrubbedAnswer.objects.get(response=response, key="comment").text


def _name_span(response: Response) -> tuple[int, int]:
    spans = ScrubbedAnswer.objects.get(response=response, key="comment").spans
    start, end, _ = next(s for s in spans if s[2] == "NAME")
    return start, end


def test_decisions_change_the_stored_text_and_survive_a_new_scrubber(answer, monkeypatch):
    panel, response = answer
    team = make_team(panel.study, build_three_wave_panel("other").study)

    review.restore(response.pk, "comment", *_name_span(response), "a foundation", team.owner)
    review.redact(response.pk, "comment", "Газпроме", "names the employer", team.owner)
    after = _text(response)
    monkeypatch.setattr(services, "VERSION", scrub_module.VERSION + 1)
    services.rescrub_stale()

    assert after == "Спасибо фонду Надежда, брат работает в <REDACTED>"
    assert _text(response) == after
    stored = ScrubbedAnswer.objects.get(response=response, key="comment")
    assert stored.found == {"REDACTED": 1}


def test_taking_a_decision_back_restores_the_scrub(answer):
    panel, response = answer
    team = make_team(panel.study, build_three_wave_panel("other").study)
    (decision,) = review.redact(response.pk, "comment", "Газпроме", "employer", team.owner)

    review.revoke(decision.pk, panel.study.pk, team.manager)

    assert _text(response) == "Спасибо фонду <NAME>, брат работает в Газпроме"
    decision.refresh_from_db()
    assert decision.revoked_by == team.manager
    assert decision.revoked_at is not None
    assert FreeTextDecision.objects.count() == 1  # kept: the audit trail


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r, u: review.redact(r, "comment", "Газпроме", "  ", u), "a reason is required"),
        (lambda r, u: review.redact(r, "comment", "Лукойле", "x", u), "do not appear"),
        (lambda r, u: review.restore(r, "comment", 0, 3, "x", u), "no replacement"),
    ],
)
def test_a_decision_that_cannot_be_taken_says_why(answer, call, message):
    panel, response = answer
    team = make_team(panel.study, build_three_wave_panel("other").study)

    with pytest.raises(review.ReviewError, match=message):
        call(response.pk, team.owner)

    assert FreeTextDecision.objects.count() == 0


def test_only_owners_and_fieldwork_managers_open_the_review_page(answer):
    panel, _ = answer
    team = make_team(panel.study, build_three_wave_panel("other").study)
    url = f"/workspace/{panel.study.slug}/free-text/"

    seen = {}
    for name in ("owner", "manager", "researcher", "viewer", "outsider"):
        client = Client()
        login_verified(client, getattr(team, name))
        seen[name] = client.get(url).status_code
    unverified = Client()
    unverified.force_login(team.owner)

    assert seen == {
        "owner": 200,
        "manager": 200,
        "researcher": 403,
        "viewer": 403,
        "outsider": 404,
    }
    assert "/accounts/two-factor/" in unverified.get(url)["Location"]


def test_the_page_shows_the_replacements_and_withholds_a_question(answer):
    panel, response = answer
    team = make_team(panel.study, build_three_wave_panel("other").study)
    client = Client()
    login_verified(client, team.owner)
    url = f"/workspace/{panel.study.slug}/free-text/"

    page = client.get(url, {"key": "comment", "kind": "NAME"}).content.decode()
    withheld = client.post(url + "withhold/", {"answer_key": "comment", "withhold": "1"})

    assert f'data-response="{response.pk}"' in page
    assert 'Надежда<span class="tag"> [NAME]</span></mark>' in page
    assert withheld.status_code == 302
    assert services.withheld_keys(panel.study.pk) == {"comment"}
