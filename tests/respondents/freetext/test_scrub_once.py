"""Scrub once: answers are scrubbed when stored, exports read the stored scrub, and nothing
unscrubbed is released."""

from __future__ import annotations

import json
from collections.abc import Mapping
from io import StringIO
from typing import Any

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exports.assembly import build_dataset
from exports.dataset import ExportSpec
from respondents.freetext import backfill, services
from respondents.freetext import scrub as scrub_module
from respondents.freetext.models import FreeTextSettings, ScrubbedAnswer
from respondents.models import Response
from respondents.services import responses
from respondents.services.form_schema import load_form
from respondents.services.import_responses import import_responses
from tests.exports.fixtures import PLANTED, build_three_wave_panel
from tests.respondents.fieldwork import make_fieldwork_study, make_wave
from tests.respondents.test_imports import row, write_csv

pytestmark = pytest.mark.django_db

NAMED = "Меня зовут Иван Петров, живу на ул. Руставели 14"


@pytest.fixture
def calls(monkeypatch):
    """Counts the scrubber's calls made by scrub-once (exports reach it only there)."""
    counted = {"n": 0}
    real = scrub_module.scrub

    def counting(text, figures=()):
        counted["n"] += 1
        return real(text, figures)

    monkeypatch.setattr(services, "scrub", counting)
    return counted


def _export(panel: Any, **options: Any) -> tuple[pd.DataFrame, Mapping[str, Any]]:
    spec = ExportSpec(
        study_id=panel.study.pk,
        wave_ids=panel.wave_ids,
        sample="combined",
        layout="long",
        pseudonym_key=b"k" * 32,
        k=2,
        include_flagged=True,
        **options,
    )
    dataset = build_dataset(spec)
    frame = pd.concat(list(dataset.chunks()), ignore_index=True)
    return frame, dataset.disclosure_report


def complete_now(response: Response) -> None:
    """The last page's submit, without the pages before it (respondents/services/responses)."""
    responses._complete(response, load_form(response.wave.version), timezone.now())
    response.save()


def _comments(panel: Any) -> QuerySet[Response]:
    return Response.objects.filter(wave_id__in=panel.wave_ids).exclude(answers__comment=None)


def test_a_second_export_of_the_same_responses_runs_no_scrubbing(calls):
    panel = build_three_wave_panel()
    answered = len([r for r in _comments(panel) if r.answers.get("comment")])

    first, report = _export(panel)
    after_first = calls["n"]
    second, _ = _export(panel)

    assert after_first >= answered  # nothing was stored yet: scrubbed and stored once
    assert calls["n"] == after_first  # the second export scrubbed nothing
    for secret in PLANTED:
        assert not first["comment"].astype(str).str.contains(secret, regex=False).any()
        assert not second["comment"].astype(str).str.contains(secret, regex=False).any()
    assert report["scrubbed"]["EMAIL"] >= 1


def test_the_backfill_command_stores_scrubs_and_the_export_then_scrubs_nothing(calls):
    panel = build_three_wave_panel()
    out = StringIO()

    call_command("scrub_free_text", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    before = calls["n"]
    _export(panel)

    assert summary["answers"] == ScrubbedAnswer.objects.count() > 0
    assert summary["scrubber_version"] == scrub_module.VERSION
    assert calls["n"] == before


def test_an_imported_response_is_scrubbed_once_its_import_commits(
    tmp_path, django_capture_on_commit_callbacks
):
    study, version = make_fieldwork_study()
    wave = make_wave(study, version, "w1")
    path = write_csv(tmp_path / "r.csv", [row(tg_detail=NAMED)])

    with django_capture_on_commit_callbacks(execute=True):
        import_responses(wave, path)

    stored = ScrubbedAnswer.objects.get(key="tg_detail")
    assert stored.text == "Меня зовут <NAME>, живу на <ADDRESS>"
    assert stored.found == {"NAME": 1, "ADDRESS": 1}
    assert "Иван" not in json.dumps([stored.spans, stored.found])


def test_a_completed_response_is_scrubbed_once_it_commits(django_capture_on_commit_callbacks):
    panel = build_three_wave_panel()
    response = _comments(panel)[0]
    response.answers["comment"] = NAMED
    response.status = "in_progress"
    response.save()

    with django_capture_on_commit_callbacks(execute=True):
        complete_now(response)

    stored = ScrubbedAnswer.objects.get(response=response, key="comment")
    assert stored.text == "Меня зовут <NAME>, живу на <ADDRESS>"


def test_an_older_scrubber_version_is_redone_by_the_sweep(monkeypatch):
    panel = build_three_wave_panel()
    services.rescrub_stale()
    stored = ScrubbedAnswer.objects.count()

    monkeypatch.setattr(services, "VERSION", scrub_module.VERSION + 1)
    redone = services.rescrub_stale()

    assert redone.answers == stored
    assert set(ScrubbedAnswer.objects.values_list("version", flat=True)) == {
        scrub_module.VERSION + 1
    }
    assert panel.study.pk


def test_the_backfill_goes_round_by_round_from_where_the_last_round_ended(monkeypatch):
    # given a panel whose free text was never scrubbed, and rounds of two responses
    panel = build_three_wave_panel()
    monkeypatch.setattr(backfill, "ROUND", 2)
    asked: list[int] = []
    real = services.rescrub_stale

    def counting(limit, *, study_id=None, after=0, share=None, through=None):
        asked.append(after)
        return real(limit, study_id=study_id, after=after, share=share, through=through)

    monkeypatch.setattr(backfill, "rescrub_stale", counting)
    todo = services.stale_response_ids(1000)
    assert services.stale_response_ids(2, after=todo[1]) == todo[2:4]
    # when the command runs
    out = StringIO()
    call_command("scrub_free_text", "--study", panel.study.slug, "--json", stdout=out)
    # then every response is scrubbed, each round starting above the last one's ids
    assert json.loads(out.getvalue())["responses"] == len(todo) > 2
    assert services.stale_response_ids(1000) == []
    assert asked[0] == 0
    assert asked[1:] == todo[1::2][: len(asked) - 1]


def test_the_backfill_reads_a_window_of_ids_at_a_time_and_misses_none(monkeypatch):
    # given a panel whose free text was never scrubbed, rounds of two responses and
    # windows of three ids
    build_three_wave_panel()
    todo = services.stale_response_ids(1000)
    monkeypatch.setattr(backfill, "ROUND", 2)
    monkeypatch.setattr(backfill, "WINDOW", 3)
    windows: list[tuple[int, int]] = []
    real = services.rescrub_stale

    def counting(limit, *, study_id=None, after=0, share=None, through=None):
        windows.append((after, through))
        return real(limit, study_id=study_id, after=after, share=share, through=through)

    monkeypatch.setattr(backfill, "rescrub_stale", counting)
    # when the command runs
    out = StringIO()
    call_command("scrub_free_text", "--json", stdout=out)
    # then no round reads more than its window, and every stale response is scrubbed
    assert all(0 < through - after <= 3 for after, through in windows)
    assert windows[-1][1] == Response.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert json.loads(out.getvalue())["responses"] == len(todo)
    assert services.stale_response_ids(1000) == []


def test_shares_of_the_backfill_split_the_stale_responses_between_them():
    build_three_wave_panel()
    todo = services.stale_response_ids(1000)

    shares = [services.stale_response_ids(1000, share=(k, 3)) for k in range(3)]

    assert sorted(pk for share in shares for pk in share) == todo
    assert all(pk % 3 == k for k, share in enumerate(shares) for pk in share)


@pytest.mark.django_db(transaction=True)
def test_the_backfill_in_two_processes_stores_what_one_process_does():
    # given a panel whose free text was never scrubbed
    panel = build_three_wave_panel()
    todo = services.stale_response_ids(1000)
    # when the command scrubs in two processes
    out = StringIO()
    call_command("scrub_free_text", "--jobs", "2", "--json", stdout=out)
    # then every response is scrubbed once, as one process would
    summary = json.loads(out.getvalue())
    assert summary["responses"] == len(todo) > 2
    assert summary["answers"] == ScrubbedAnswer.objects.count()
    assert services.stale_response_ids(1000) == []
    in_two = set(ScrubbedAnswer.objects.values_list("response_id", "key", "text"))
    ScrubbedAnswer.objects.all().delete()
    call_command("scrub_free_text", "--study", panel.study.slug, "--json", stdout=StringIO())
    assert set(ScrubbedAnswer.objects.values_list("response_id", "key", "text")) == in_two


def test_the_backfill_first_brings_the_planners_statistics_up_to_date():
    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE is PostgreSQL's")
    build_three_wave_panel()
    responses = Response.objects.count()

    def estimated_rows() -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", [Response._meta.db_table]
            )
            return float(cursor.fetchone()[0])

    with CaptureQueriesContext(connection) as queries:
        call_command("scrub_free_text", "--json", stdout=StringIO())

    # then the table is analysed before the first round asks for stale responses
    sent = [q["sql"] for q in queries.captured_queries]
    assert sent[:2] == [
        f"ANALYZE {Response._meta.db_table}",
        f"ANALYZE {ScrubbedAnswer._meta.db_table}",
    ]
    assert estimated_rows() == responses


def test_the_backfill_analyses_the_stored_scrubs_again_as_they_grow_from_empty(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE is PostgreSQL's")
    # given a panel none of whose free text is stored yet, so the backfill's first ANALYZE
    # finds the stored scrubs empty
    build_three_wave_panel()
    monkeypatch.setattr(backfill, "ROUND", 2)
    monkeypatch.setattr(backfill, "ANALYSE_AFTER", 3)

    def estimated_scrubs() -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s",
                [ScrubbedAnswer._meta.db_table],
            )
            return float(cursor.fetchone()[0])

    # when the backfill runs
    call_command("scrub_free_text", "--json", stdout=StringIO())

    # then the planner no longer believes the table empty: it was analysed with rows in it
    assert ScrubbedAnswer.objects.count() > 3
    assert 3 <= estimated_scrubs() <= ScrubbedAnswer.objects.count()


def test_the_backfill_refuses_fewer_than_one_process():
    with pytest.raises(CommandError, match="--jobs must be 1 or more, not 0"):
        call_command("scrub_free_text", "--jobs", "0")


def test_a_changed_answer_is_never_released_with_its_old_scrub(calls):
    panel = build_three_wave_panel()
    services.rescrub_stale()
    response = _comments(panel).filter(answers__comment="All fine")[0]
    response.answers["comment"] = NAMED
    response.save()

    frame, _ = _export(panel)

    texts = set(frame["comment"].astype(str))
    assert not any("Иван" in t or "Руставели" in t for t in texts)
    assert "Меня зовут <NAME>, живу на <ADDRESS>" in texts


def test_a_question_the_study_withholds_is_withheld_from_every_export():
    panel = build_three_wave_panel()
    FreeTextSettings.objects.create(study=panel.study, withheld_keys=["comment"])

    frame, _ = _export(panel)

    assert set(frame["comment"].astype(str)) <= {"", "<WITHHELD>"}
    assert "<WITHHELD>" in set(frame["comment"].astype(str))


def test_a_study_keeps_its_own_public_figures():
    panel = build_three_wave_panel()
    FreeTextSettings.objects.create(study=panel.study, extra_figures=["Бочкарёв"])
    response = _comments(panel)[0]
    response.answers["comment"] = "Губернатор Бочкарёв и мой сосед Кириллов"
    response.save()

    services.scrub_responses([response.pk])

    stored = ScrubbedAnswer.objects.get(response=response, key="comment")
    assert stored.text == "Губернатор Бочкарёв и мой сосед <NAME>"
