from __future__ import annotations

from datetime import timedelta

import pytest

from exports.sampling import (
    ERROR_DUPLICATE_WAVES,
    ERROR_NO_WAVES,
    ERROR_UNKNOWN_WAVES,
    SampledResponse,
    SampleError,
    choose_people,
    current_flags,
    flagged_rules,
    select_sample,
)
from respondents.models import ResponseStatus
from tests.builders import make_study
from tests.exports.fixtures import EXPECTED_ROWS, _member_response, build_three_wave_panel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sample", ["combined", "panel", "balanced"])
@pytest.mark.parametrize("include_flagged", [False, True])
def test_select_sample_has_the_exact_rows_and_people(sample, include_flagged):
    panel = build_three_wave_panel()

    chosen = select_sample(
        panel.study.pk, panel.wave_ids, sample=sample, include_flagged=include_flagged
    )

    assert len(chosen.responses) == EXPECTED_ROWS[(sample, "long", include_flagged)]
    assert chosen.people == EXPECTED_ROWS[(sample, "wide", include_flagged)]
    assert chosen.definition.startswith(sample.capitalize())


def test_flags_count_only_from_the_latest_run_and_overrides_cancel_them():
    panel = build_three_wave_panel()

    flags = current_flags(panel.wave_ids)

    by_rule = sorted(rule for rules in flags.values() for rule in rules)
    assert by_rule == ["duplicate:exact", "incomplete", "speeder"]


def test_the_flagged_rules_are_those_of_the_current_flags():
    panel = build_three_wave_panel()
    flags = current_flags(panel.wave_ids)

    rules = flagged_rules(panel.wave_ids)

    assert rules == sorted({rule for found in flags.values() for rule in found})
    assert rules == ["duplicate:exact", "incomplete", "speeder"]


def test_select_sample_leaves_out_the_three_flagged_responses():
    panel = build_three_wave_panel()

    chosen = select_sample(panel.study.pk, panel.wave_ids, sample="combined", include_flagged=False)
    everyone = select_sample(
        panel.study.pk, panel.wave_ids, sample="combined", include_flagged=True
    )

    # the overridden flag and the older run's flag leave their responses in
    left_out = {r.response_id for r in everyone.responses} - {
        r.response_id for r in chosen.responses
    }
    assert left_out == set(current_flags(panel.wave_ids))
    assert chosen.flagged_left_out == 3
    assert chosen.considered == everyone.considered == len(everyone.responses)
    assert chosen.repeats_left_out == 0


def test_a_single_wave_panel_sample_is_empty_and_balanced_is_everyone():
    panel = build_three_wave_panel()

    one = (panel.wave_ids[1],)
    assert select_sample(panel.study.pk, one, sample="panel", include_flagged=False).responses == ()
    assert (
        len(select_sample(panel.study.pk, one, sample="balanced", include_flagged=False).responses)
        == 15
    )


def test_waves_come_back_in_fielding_order_with_study_numbers():
    panel = build_three_wave_panel()

    chosen = select_sample(
        panel.study.pk, tuple(reversed(panel.wave_ids[1:])), sample="combined", include_flagged=True
    )

    assert [(w.name, w.number) for w in chosen.waves] == [("w2", 2), ("w3", 3)]


def test_select_sample_refuses_bad_waves():
    panel = build_three_wave_panel()
    other = make_study("other")

    with pytest.raises(SampleError, match=ERROR_NO_WAVES):
        select_sample(panel.study.pk, (), sample="combined", include_flagged=False)
    with pytest.raises(SampleError) as duplicate:
        select_sample(
            panel.study.pk, (panel.wave_ids[0],) * 2, sample="combined", include_flagged=False
        )
    assert str(duplicate.value) == ERROR_DUPLICATE_WAVES.format(wave_id=panel.wave_ids[0])
    with pytest.raises(SampleError) as foreign:
        select_sample(other.pk, panel.wave_ids[:1], sample="combined", include_flagged=False)
    assert str(foreign.value) == ERROR_UNKNOWN_WAVES.format(
        wave_ids=[panel.wave_ids[0]], study_id=other.pk
    )


def test_choose_people_counts_waves_seen_per_person():
    rows = [
        SampledResponse(1, 10, "member:1"),
        SampledResponse(2, 11, "member:1"),
        SampledResponse(3, 12, "member:1"),
        SampledResponse(4, 10, "member:2"),
        SampledResponse(5, 11, "member:2"),
        SampledResponse(6, 10, "response:6"),
    ]

    assert [r.response_id for r in choose_people(rows, 3, "combined")] == [1, 2, 3, 4, 5, 6]
    assert [r.response_id for r in choose_people(rows, 3, "panel")] == [1, 2, 3, 4, 5]
    assert [r.response_id for r in choose_people(rows, 3, "balanced")] == [1, 2, 3]


def test_a_person_who_answered_a_wave_more_than_once_keeps_the_completed_then_the_latest():
    # given member A0 answering wave 1 three more times: a later break-off, a completed
    # response started later than their first, and one started at the same time as it
    panel = build_three_wave_panel()
    first = _member_response(panel, "A", 0, 1)

    def again(status: str, hours: int) -> int:
        first.pk = None
        first.status = status
        first.source_id = f"again-{status}-{hours}"
        first.started_at = first.started_at + timedelta(hours=hours)
        first.save()
        return first.pk

    later_break_off = again(ResponseStatus.ABANDONED, 5)
    later_completed = again(ResponseStatus.COMPLETED, -3)
    same_start = again(ResponseStatus.COMPLETED, 0)

    chosen = select_sample(
        panel.study.pk, panel.wave_ids[:1], sample="combined", include_flagged=True
    )

    theirs = [r.response_id for r in chosen.responses if r.person == f"member:{first.member_id}"]
    # then the completed ones win over the later break-off, and of the two completed
    # responses started at the same (latest) time the higher id
    assert later_break_off < later_completed < same_start
    assert theirs == [same_start]
    assert chosen.repeats_left_out == 3
