"""The cleaning service and runner on PostgreSQL: flags, idempotency, overrides, summary."""

from __future__ import annotations

import pytest
from django.db import connection

from config.celery import app as celery_app
from respondents.cleaning.runner import SUPERSEDED, _insert_rows
from respondents.cleaning.service import (
    REASON_REQUIRED,
    WAVE_NOT_FOUND,
    CleaningError,
    clean_wave,
    cleaning_summary,
    current_run,
    override_flag,
)
from respondents.models import CleaningRun, CleaningRunStatus, FlagOverride, QualityFlag, Response
from respondents.quality.config import CONFIG_UNKNOWN_KEY
from respondents.quality.rules import run_rules
from respondents.tasks import clean_open_waves_task, clean_wave_task
from tests.builders import make_user
from tests.respondents.cleaning_wave import build_cleaning_wave

pytestmark = pytest.mark.django_db


def flags_of(wave_id: int) -> set[tuple[int, str]]:
    return set(QualityFlag.objects.filter(run__wave_id=wave_id).values_list("response_id", "rule"))


def responses_with(rule: str, wave_id: int) -> set[int]:
    return {r for r, name in flags_of(wave_id) if name == rule}


def test_clean_wave_flags_each_planted_case_with_its_rule():
    # given
    planted = build_cleaning_wave()
    ids = planted.ids

    # when
    run = clean_wave(planted.wave.pk)

    # then
    wave_id = planted.wave.pk
    assert run.status == CleaningRunStatus.FINISHED
    assert responses_with("speeder:rsi", wave_id) == {ids["speeder"]}
    assert responses_with("straightliner", wave_id) == {ids["straightliner"]}
    assert responses_with("duplicate:person", wave_id) == {ids["person_again"]}
    assert responses_with("duplicate:exact", wave_id) == {ids["copy"]}
    assert responses_with("bot:honeypot", wave_id) == {ids["bot"]}
    assert responses_with("attention", wave_id) == {ids["attention"]}
    assert responses_with("incomplete", wave_id) == {ids["breakoff"]}
    # exactly one of the duplicate pair stays unflagged: the first complete
    assert not {r for r, rule in flags_of(wave_id) if rule.startswith("duplicate")} & {
        ids["original"],
        ids["person_first"],
    }
    assert run.counts["responses"] == 48
    assert run.counts["rules"]["speeder:rsi"] == 1
    assert set(run.timings) >= {"load", "speeder", "duplicate", "write"}


def test_duplicate_detail_names_the_kept_response_and_the_corroboration():
    planted = build_cleaning_wave()

    clean_wave(planted.wave.pk)

    flag = QualityFlag.objects.get(response_id=planted.ids["copy"], rule="duplicate:exact")
    assert flag.score == 1.0
    assert flag.detail == (
        "matches response ext-8 on 100% of 13 items (started 5 min apart); kept: response ext-8"
    )


def test_clean_wave_twice_gives_the_same_flags_and_keeps_only_the_current_run_flags():
    planted = build_cleaning_wave()
    first = clean_wave(planted.wave.pk)
    before = set(
        QualityFlag.objects.filter(run=first).values_list("response_id", "rule", "score", "detail")
    )

    second = clean_wave(planted.wave.pk)

    after = set(
        QualityFlag.objects.filter(run=second).values_list("response_id", "rule", "score", "detail")
    )
    assert after == before
    assert not QualityFlag.objects.filter(run=first).exists()
    assert CleaningRun.objects.filter(wave=planted.wave).count() == 2
    assert second.counts == first.counts


def test_override_removes_the_flag_and_later_runs_respect_it():
    # given
    planted = build_cleaning_wave()
    clean_wave(planted.wave.pk)
    researcher = make_user("alice")

    # when
    override = override_flag(
        planted.ids["speeder"],
        rule="speeder:rsi",
        reason="fast reader, checked",
        decided_by=researcher,
    )
    rerun = clean_wave(planted.wave.pk)

    # then: the RSI flag only; the total-time and page rules are separate decisions
    assert override.decided_by == researcher
    rules = {rule for r, rule in flags_of(planted.wave.pk) if r == planted.ids["speeder"]}
    assert rules == {"speeder:total", "speeder:page"}
    assert rerun.counts["overridden"] == {"speeder:rsi": 1}


def test_override_of_one_rule_leaves_the_rest_of_its_family():
    planted = build_cleaning_wave()
    clean_wave(planted.wave.pk)

    override_flag(planted.ids["speeder"], rule="speeder:total", reason="long pauses logged")
    rerun = clean_wave(planted.wave.pk)

    rules = {rule for r, rule in flags_of(planted.wave.pk) if r == planted.ids["speeder"]}
    assert "speeder:total" not in rules
    assert {"speeder:rsi", "speeder:page"} <= rules
    assert rerun.counts["overridden"] == {"speeder:total": 1}


def test_override_of_a_family_covers_every_rule_in_it():
    planted = build_cleaning_wave()
    clean_wave(planted.wave.pk)

    override_flag(planted.ids["speeder"], rule="speeder", reason="ok")
    override_flag(planted.ids["copy"], rule="duplicate", reason="twins on one phone")
    clean_wave(planted.wave.pk)

    rules = {rule for r, rule in flags_of(planted.wave.pk) if r == planted.ids["copy"]}
    assert not any(rule.startswith("duplicate") for rule in rules)
    speeder_rules = {rule for r, rule in flags_of(planted.wave.pk) if r == planted.ids["speeder"]}
    assert not any(rule.startswith("speeder") for rule in speeder_rules)


def test_override_on_a_near_duplicate_survives_its_relabel_as_exact():
    # given: the copy differs from its original on one item, so it is a near duplicate
    planted = build_cleaning_wave()
    copy = Response.objects.get(pk=planted.ids["copy"])
    exact_answers = dict(copy.answers)
    copy.answers = {**exact_answers, "t1": "5" if exact_answers["t1"] != "5" else "4"}
    copy.save(update_fields=["answers"])
    clean_wave(planted.wave.pk)
    assert responses_with("duplicate:near", planted.wave.pk) == {copy.pk}
    override_flag(copy.pk, rule="duplicate:near", reason="siblings, checked by phone")

    # when: the answer is corrected and the pair is now an exact match
    copy.answers = exact_answers
    copy.save(update_fields=["answers"])
    rerun = clean_wave(planted.wave.pk)

    # then
    assert not {rule for r, rule in flags_of(planted.wave.pk) if r == copy.pk}
    assert rerun.counts["overridden"] == {"duplicate:exact": 1}


def test_override_on_an_answer_duplicate_leaves_same_person_duplicates():
    planted = build_cleaning_wave()
    override_flag(planted.ids["person_again"], rule="duplicate:near", reason="checked")

    clean_wave(planted.wave.pk)

    assert responses_with("duplicate:person", planted.wave.pk) == {planted.ids["person_again"]}


def test_a_run_that_started_earlier_but_finishes_later_keeps_the_newer_flags(monkeypatch):
    # given: while an older run is computing its rules, a newer run starts and finishes
    # (two workers; SQLite cannot run them side by side, so the newer run is started from
    # inside the older one's rule step, which is the window in which this happens)
    planted = build_cleaning_wave()
    real_run_rules = run_rules
    newer: list[CleaningRun] = []
    calls: list[int] = []

    def rules_then_a_newer_run(frame, config):
        report = real_run_rules(frame, config)
        calls.append(frame.size)
        if len(calls) == 1:
            Response.objects.filter(pk=planted.ids["bot"]).update(honeypot_filled=False)
            newer.append(clean_wave(planted.wave.pk))
        return report

    monkeypatch.setattr("respondents.cleaning.runner.run_rules", rules_then_a_newer_run)

    # when
    older = clean_wave(planted.wave.pk)

    # then: the newer run's flags stay current (no honeypot flag), the older run wrote none
    older.refresh_from_db()
    assert older.status == CleaningRunStatus.FAILED
    assert older.notes[0] == SUPERSEDED.format(newer=newer[0].pk)
    assert not QualityFlag.objects.filter(run=older).exists()
    assert QualityFlag.objects.filter(run=newer[0]).count() == sum(
        newer[0].counts["rules"].values()
    )
    assert responses_with("bot:honeypot", planted.wave.pk) == set()
    assert current_run(planted.wave.pk) == newer[0]


@pytest.mark.parametrize(
    ("_case", "kwargs", "message"),
    [
        ("no reason", {"rule": "speeder", "reason": "  "}, REASON_REQUIRED),
        ("unknown rule", {"rule": "sloppy", "reason": "x"}, "rule 'sloppy': a rule name starts"),
    ],
)
def test_override_flag_refuses_bad_input_and_writes_nothing(_case, kwargs, message):
    planted = build_cleaning_wave()

    with pytest.raises(CleaningError, match=message):
        override_flag(planted.ids["speeder"], **kwargs)

    assert FlagOverride.objects.count() == 0


def test_unknown_config_key_fails_before_any_run_is_recorded():
    planted = build_cleaning_wave()
    planted.wave.cleaning_config = {"speeder_rsi_treshold": 1.5}
    planted.wave.save(update_fields=["cleaning_config"])

    with pytest.raises(CleaningError) as error:
        clean_wave(planted.wave.pk)

    assert "unknown key 'speeder_rsi_treshold'" in str(error.value)
    assert str(error.value).startswith(f"wave {planted.wave.pk}: ")
    assert CONFIG_UNKNOWN_KEY.split("{")[0] in str(error.value)
    assert not CleaningRun.objects.exists()


def test_wave_config_and_run_overrides_change_thresholds_and_are_recorded():
    planted = build_cleaning_wave()
    planted.wave.cleaning_config = {"attention_min_failed": 2}
    planted.wave.save(update_fields=["cleaning_config"])

    run = clean_wave(planted.wave.pk, config_overrides={"speeder_rsi_threshold": 2.9})

    assert run.config["attention_min_failed"] == 2
    assert run.config["speeder_rsi_threshold"] == 2.9
    assert responses_with("attention", planted.wave.pk) == set()


def test_clean_wave_names_a_missing_wave():
    with pytest.raises(CleaningError, match=WAVE_NOT_FOUND.format(wave_id=999_999)):
        clean_wave(999_999)


def test_cleaning_summary_counts_per_rule_channel_and_day():
    planted = build_cleaning_wave()
    clean_wave(planted.wave.pk)

    summary = cleaning_summary(planted.wave)

    assert summary.responses == 48
    assert summary.per_rule["speeder:rsi"] == 1
    assert summary.per_rule["duplicate:exact"] == 1
    assert sum(v["responses"] for v in summary.per_channel.values()) == 48
    assert summary.per_channel["media"]["responses"] == 20
    assert summary.flagged_responses == sum(v["flagged"] for v in summary.per_channel.values())
    assert sum(v["responses"] for v in summary.per_day.values()) == 48
    assert min(summary.per_day) == "2026-03-02"


def test_clean_wave_task_and_the_beat_task_run_the_service():
    planted = build_cleaning_wave()

    run_id = clean_wave_task.delay(planted.wave.pk).get()
    enqueued = clean_open_waves_task.delay().get()

    assert CleaningRun.objects.get(pk=run_id).status == CleaningRunStatus.FINISHED
    assert enqueued == 1
    assert CleaningRun.objects.filter(wave=planted.wave).count() == 2
    assert "respondents.clean_wave" in celery_app.tasks


def test_beat_schedule_cleans_open_waves(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["clean-open-waves"]
    assert entry["task"] == "respondents.clean_open_waves"


def test_flags_are_written_with_any_detail_text_and_an_absent_score():
    # given a finished run, and flags whose details hold what a COPY must escape
    planted = build_cleaning_wave()
    run = clean_wave(planted.wave.pk)
    details = ["tab\there", "two\nlines", "back\\slash \\N", 'quote " and, comma', "Привет ✓"]
    rows = [
        (planted.ids["original"], run.pk, f"test:{n}", None if n % 2 else n / 3, detail)
        for n, detail in enumerate(details)
    ]

    # when
    with connection.cursor() as cursor:
        _insert_rows(cursor, _flag_target(), rows)

    # then each reads back as written
    stored = QualityFlag.objects.filter(run=run, rule__startswith="test:").order_by("rule")
    assert [(f.response_id, f.run_id, f.rule, f.score, f.detail) for f in stored] == rows


def _flag_target() -> str:
    quote = connection.ops.quote_name
    columns = {field.name: field.column for field in QualityFlag._meta.concrete_fields}
    names = ", ".join(quote(columns[n]) for n in ("response", "run", "rule", "score", "detail"))
    return f"{quote(QualityFlag._meta.db_table)} ({names})"
