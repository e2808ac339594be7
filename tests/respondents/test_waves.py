import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from respondents.models import Response, ResponseStatus, Wave, WaveState
from respondents.services.responses import start_response, submit_page
from respondents.services.waves import (
    ERROR_CHANNEL_FORMAT,
    ERROR_CHANNEL_NOT_LISTED,
    ERROR_CLOSES_IN_PAST,
    ERROR_KEY_DESTROYED,
    ERROR_NAME_TAKEN,
    ERROR_TRANSITION,
    ERROR_VERSION_NOT_PUBLISHED,
    change_wave_state,
    clean_channel,
    create_wave,
    is_accepting_responses,
    open_link,
    open_wave,
    validate_channel,
)
from tests.builders import build_version, make_study
from tests.respondents.form_helpers import CHOICES, GOOD_PAGES, PAGES, make_version

pytestmark = pytest.mark.django_db


def test_open_wave_opens_a_published_version_with_a_key_and_an_unguessable_slug():
    version = make_version()

    wave = open_wave(version.questionnaire.study, version, " wave 1 ", channels=["TG_news", "vk"])

    assert wave.state == WaveState.OPEN
    assert wave.name == "wave 1"
    assert wave.channels == ["tg_news", "vk"]
    assert len(wave.slug) >= 16
    assert wave.fingerprint_key
    assert wave.opens_at is not None


def test_open_wave_refuses_a_draft_version_and_leaves_nothing():
    study = make_study()
    draft = build_version(study, PAGES, choices=CHOICES, publish=False)

    with pytest.raises(ValidationError) as error:
        open_wave(study, draft, "w1")

    assert error.value.messages == [ERROR_VERSION_NOT_PUBLISHED.format(version=draft.pk)]
    assert Wave.objects.count() == 0


def test_open_wave_refuses_a_second_wave_of_the_same_name():
    version = make_version()
    study = version.questionnaire.study
    open_wave(study, version, "w1")

    with pytest.raises(ValidationError) as error:
        open_wave(study, version, "w1")

    assert error.value.messages == [ERROR_NAME_TAKEN.format(study=study.slug, name="w1")]
    assert Wave.objects.count() == 1


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("open", "closed", True),
        ("closed", "open", True),
        ("closed", "archived", True),
        ("open", "archived", False),
        ("archived", "open", False),
        ("open", "draft", False),
        ("draft", "open", True),
    ],
)
def test_change_wave_state_follows_the_allowed_transitions(current, target, allowed):
    version = make_version()
    wave = open_wave(version.questionnaire.study, version, "w1")
    Wave.objects.filter(pk=wave.pk).update(state=current)

    if allowed:
        assert change_wave_state(wave, target).state == target
    else:
        with pytest.raises(ValidationError) as error:
            change_wave_state(wave, target)
        assert error.value.messages == [
            ERROR_TRANSITION.format(wave=wave.pk, current=current, target=target)
        ]
        assert Wave.objects.get(pk=wave.pk).state == current


def test_closing_stops_responses_and_reopening_needs_the_key():
    version = make_version()
    wave = open_wave(version.questionnaire.study, version, "w1")

    closed = change_wave_state(wave, WaveState.CLOSED)
    assert not is_accepting_responses(closed)
    assert closed.closes_at is not None
    Wave.objects.filter(pk=wave.pk).update(
        fingerprint_key="", fingerprint_key_destroyed_at=closed.closes_at
    )

    with pytest.raises(ValidationError) as error:
        change_wave_state(wave, WaveState.OPEN)
    assert error.value.messages == [ERROR_KEY_DESTROYED.format(wave=wave.pk)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tg_meduza", "tg_meduza"),
        ("  VK.com ", "vk.com"),
        ("", ""),
        ("a b", ""),
        ("x" * 65, ""),
        ("<script>", ""),
    ],
)
def test_clean_channel_records_valid_channels_and_blanks_the_rest(raw, expected):
    version = make_version()
    wave = open_wave(version.questionnaire.study, version, "w1")

    assert clean_channel(wave, raw) == expected


def test_validate_channel_names_the_problem_and_respects_the_wave_list():
    version = make_version()
    wave = open_wave(version.questionnaire.study, version, "w1", channels=["tg"])

    with pytest.raises(ValidationError) as unlisted:
        validate_channel(wave, "vk")
    with pytest.raises(ValidationError) as malformed:
        validate_channel(wave, "-x")

    assert unlisted.value.messages == [ERROR_CHANNEL_NOT_LISTED.format(channel="vk")]
    assert malformed.value.messages == [ERROR_CHANNEL_FORMAT.format(channel="-x")]
    assert clean_channel(wave, "vk") == ""
    assert open_link(wave, "tg").endswith(f"/s/{wave.slug}/?src=tg")


def test_open_wave_command_prints_the_wave_and_its_open_link(capsys, settings):
    settings.SITE_URL = "https://survey.example.org"
    version = make_version()

    call_command(
        "open_wave", "--study", "panel", "--version", str(version.pk), "--name", "spring", "--json"
    )

    printed = json.loads(capsys.readouterr().out)
    wave = Wave.objects.get()
    assert printed["wave"] == wave.pk
    assert printed["open_link"] == f"https://survey.example.org/s/{wave.slug}/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--study", "nope", "--version", "1", "--name", "x"], "no study with slug 'nope'"),
        (
            ["--study", "panel", "--version", "999999", "--name", "x"],
            "no questionnaire version 999999",
        ),
    ],
    ids=["_case_unknown_study", "_case_unknown_version"],
)
def test_open_wave_command_refuses_bad_input_with_one_line(args, message):
    make_version()

    with pytest.raises(CommandError) as error:
        call_command("open_wave", *args)

    assert str(error.value) == message
    assert Wave.objects.count() == 0


def test_create_wave_makes_a_draft_that_refuses_respondents_until_opened():
    # given
    version = make_version()
    closes_at = timezone.now() + timedelta(days=14)

    # when
    draft = create_wave(
        version.questionnaire.study, version, " w1 ", channels=["tg"], closes_at=closes_at
    )

    # then: a draft has no key and takes no answers; opening keeps the scheduled close
    assert (draft.state, draft.name, draft.channels) == (WaveState.DRAFT, "w1", ["tg"])
    assert draft.fingerprint_key == ""
    assert draft.opens_at is None
    assert not is_accepting_responses(draft)
    opened = change_wave_state(draft, WaveState.OPEN)
    assert opened.state == WaveState.OPEN
    assert opened.fingerprint_key
    assert opened.opens_at is not None
    assert opened.closes_at == closes_at
    assert is_accepting_responses(opened)


@pytest.mark.parametrize(
    ("_case", "target"),
    [("draft cannot close", "closed"), ("draft cannot archive", "archived")],
)
def test_a_draft_wave_can_only_open(_case, target):
    version = make_version()
    draft = create_wave(version.questionnaire.study, version, "w1")

    with pytest.raises(ValidationError) as error:
        change_wave_state(draft, target)

    assert error.value.messages == [
        ERROR_TRANSITION.format(wave=draft.pk, current="draft", target=target)
    ]
    assert Wave.objects.get(pk=draft.pk).state == WaveState.DRAFT


def test_a_draft_whose_close_time_has_passed_cannot_open():
    version = make_version()
    past = timezone.now() - timedelta(minutes=1)
    draft = create_wave(version.questionnaire.study, version, "w1", closes_at=past)

    with pytest.raises(ValidationError) as error:
        change_wave_state(draft, WaveState.OPEN)

    assert error.value.messages == [
        ERROR_CLOSES_IN_PAST.format(wave=draft.pk, closes_at=past.isoformat())
    ]
    assert Wave.objects.get(pk=draft.pk).fingerprint_key == ""


def test_create_wave_refuses_a_draft_version_and_leaves_nothing():
    study = make_study()
    version = build_version(study, PAGES, choices=CHOICES, publish=False)

    with pytest.raises(ValidationError) as error:
        create_wave(study, version, "w1")

    assert error.value.messages == [ERROR_VERSION_NOT_PUBLISHED.format(version=version.pk)]
    assert Wave.objects.count() == 0


@pytest.mark.parametrize("_case", ["close", "close then archive"])
def test_closing_marks_break_offs_abandoned_keeping_their_answers(_case):
    # given: one finished response and one break-off after the first page
    version = make_version()
    wave = open_wave(version.questionnaire.study, version, "w1")
    finished = start_response(wave, language="en").response
    Response.objects.filter(pk=finished.pk).update(status=ResponseStatus.COMPLETED)
    broke_off = start_response(wave, language="en").response
    submit_page(broke_off.pk, page="about", step=1, data=GOOD_PAGES["about"])
    before = Response.objects.get(pk=broke_off.pk)

    # when
    change_wave_state(wave, WaveState.CLOSED)
    if _case == "close then archive":
        change_wave_state(wave, WaveState.ARCHIVED)

    # then
    after = Response.objects.get(pk=broke_off.pk)
    assert after.status == ResponseStatus.ABANDONED
    assert (after.answers, after.paradata, after.current_page) == (
        before.answers,
        before.paradata,
        "children",
    )
    assert Response.objects.get(pk=finished.pk).status == ResponseStatus.COMPLETED


def test_a_failed_close_abandons_nothing(monkeypatch):
    # given: a close that fails after the responses were marked (same transaction)
    version = make_version()
    wave = open_wave(version.questionnaire.study, version, "w1")
    response = start_response(wave, language="en").response

    def refuse(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Wave, "save", refuse)

    # when
    with pytest.raises(RuntimeError):
        change_wave_state(wave, WaveState.CLOSED)

    # then
    assert Response.objects.get(pk=response.pk).status == ResponseStatus.IN_PROGRESS
    assert Wave.objects.get(pk=wave.pk).state == WaveState.OPEN


def test_reopening_gives_web_break_offs_back_but_not_imported_ones():
    version = make_version()
    wave = open_wave(version.questionnaire.study, version, "w1")
    web = start_response(wave, language="en").response
    imported = Response.objects.create(
        wave=wave,
        status=ResponseStatus.ABANDONED,
        source_id="ext-1",
        started_at=timezone.now(),
    )
    change_wave_state(wave, WaveState.CLOSED)

    change_wave_state(wave, WaveState.OPEN)

    assert Response.objects.get(pk=web.pk).status == ResponseStatus.IN_PROGRESS
    assert Response.objects.get(pk=imported.pk).status == ResponseStatus.ABANDONED
