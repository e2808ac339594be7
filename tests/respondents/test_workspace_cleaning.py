"""Cleaning review in the staff workspace: run the rules, read the flags by rule with their
reasons, override one with a reason; each role's limits; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from lxml import html  # type: ignore[import-untyped]

from respondents.cleaning.service import clean_wave
from respondents.models import CleaningRun, FlagOverride, QualityFlag
from tests.builders import make_study
from tests.respondents.cleaning_wave import build_cleaning_wave
from tests.respondents.fieldwork import add_response, make_fieldwork_study, make_wave
from tests.surveys.personas import login_verified, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted():
    return build_cleaning_wave("panel")


@pytest.fixture
def team(planted):
    return make_team(planted.wave.study, make_study("other"))


def _as(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _page(reply: Any) -> Any:
    return html.fromstring(reply.content.decode())


def _messages(reply: Any) -> list[str]:
    return [str(message) for message in reply.context["messages"]]


def _url(planted: Any, tail: str = "") -> str:
    return f"/workspace/panel/waves/{planted.wave.pk}/cleaning/{tail}"


def test_researcher_runs_the_rules_and_reads_flags_by_rule_with_reasons(
    planted, team, django_capture_on_commit_callbacks
):
    # given
    client = _as(team.researcher)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(_url(planted, "run/"))
    reply = client.get(queued["Location"])
    # then
    assert CleaningRun.objects.filter(wave=planted.wave, status="finished").count() == 1
    assert _messages(reply) == ["Cleaning of w1 is queued."]
    page = _page(reply)
    counts = {
        li.get("data-rule"): li.xpath(".//*[@class='count']")[0].text
        for li in page.xpath("//ul[@id='rules']/li")
    }
    assert counts["speeder"] != "0"
    assert counts["bot"] != "0"
    speeder = page.xpath(
        f"//section[@data-rule='speeder:rsi']//li[@data-response='{planted.ids['speeder']}']"
    )
    assert speeder, "the planted speeder is listed under its rule"
    reason = speeder[0].xpath(".//*[@class='reason']")[0].text_content().strip()
    assert (
        reason
        == QualityFlag.objects.get(response_id=planted.ids["speeder"], rule="speeder:rsi").detail
    )
    assert reason


def test_flags_can_be_narrowed_to_one_rule(planted, team):
    clean_wave(planted.wave.pk)
    page = _page(_as(team.researcher).get(_url(planted) + "?rule=bot"))
    assert {s.get("data-rule") for s in page.xpath("//section[@data-rule]")} == {"bot:honeypot"}


def test_override_with_a_reason_removes_the_flag_and_keeps_the_decision(planted, team):
    # given
    clean_wave(planted.wave.pk)
    speeder = planted.ids["speeder"]
    # when
    reply = _as(team.researcher).post(
        _url(planted, "override/"),
        {"response": speeder, "rule": "speeder:rsi", "reason": "Read the page before, fast reader"},
        follow=True,
    )
    # then
    assert not QualityFlag.objects.filter(response_id=speeder, rule="speeder:rsi").exists()
    decision = FlagOverride.objects.get(response_id=speeder)
    assert (decision.rule, decision.reason, decision.decided_by) == (
        "speeder:rsi",
        "Read the page before, fast reader",
        team.researcher,
    )
    assert _messages(reply) == ["speeder:rsi no longer applies to response ext-41."]
    overrides = _page(reply).get_element_by_id("overrides").text_content()
    assert "Read the page before, fast reader" in overrides
    assert "rita" in overrides


def test_an_override_without_a_reason_is_refused_and_the_flag_stays(planted, team):
    clean_wave(planted.wave.pk)
    reply = _as(team.researcher).post(
        _url(planted, "override/"),
        {"response": planted.ids["speeder"], "rule": "speeder:rsi", "reason": "  "},
        follow=True,
    )
    assert _messages(reply) == ["An override needs a reason: nothing was changed."]
    assert QualityFlag.objects.filter(
        response_id=planted.ids["speeder"], rule="speeder:rsi"
    ).exists()
    assert not FlagOverride.objects.exists()


def test_an_unknown_rule_is_refused_with_its_name(planted, team):
    clean_wave(planted.wave.pk)
    reply = _as(team.researcher).post(
        _url(planted, "override/"),
        {"response": planted.ids["speeder"], "rule": "lazy", "reason": "because"},
        follow=True,
    )
    assert _messages(reply)[0].startswith("rule 'lazy': a rule name starts with one of")
    assert not FlagOverride.objects.exists()


def test_a_response_of_another_wave_cannot_be_overridden_here(planted, team):
    study, version = make_fieldwork_study("elsewhere")
    foreign = add_response(make_wave(study, version, "x"))
    reply = _as(team.owner).post(
        _url(planted, "override/"), {"response": foreign.pk, "rule": "speeder:rsi", "reason": "r"}
    )
    assert reply.status_code == 404
    assert not FlagOverride.objects.exists()


def test_roles_limits_on_cleaning(planted, team):
    clean_wave(planted.wave.pk)
    speeder = {"response": planted.ids["speeder"], "rule": "speeder:rsi", "reason": "r"}
    # the viewer reads figures only; the outsider does not see the study at all
    assert _as(team.viewer).get(_url(planted)).status_code == 403
    assert _as(team.outsider).get(_url(planted)).status_code == 404
    assert _as(team.outsider).post(_url(planted, "run/")).status_code == 404
    # the fieldwork manager reads the flags but does not decide on them
    manager = _as(team.manager)
    reply = manager.get(_url(planted))
    assert reply.status_code == 200
    assert not _page(reply).xpath("//form[contains(@class, 'override')]")
    assert manager.post(_url(planted, "override/"), speeder).status_code == 403
    assert manager.post(_url(planted, "run/")).status_code == 403
    assert not FlagOverride.objects.exists()
    assert CleaningRun.objects.count() == 1


def test_the_page_reloads_itself_while_a_requested_run_has_not_started(planted, team):
    client = _as(team.researcher)
    waiting = _page(client.get(_url(planted) + "?after=0"))
    assert waiting.xpath("//meta[@http-equiv='refresh']")
    run = clean_wave(planted.wave.pk)
    done = _page(client.get(_url(planted) + "?after=0"))
    assert not done.xpath("//meta[@http-equiv='refresh']")
    assert _page(client.get(_url(planted) + f"?after={run.pk}")).xpath(
        "//meta[@http-equiv='refresh']"
    )
