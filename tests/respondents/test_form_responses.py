from datetime import timedelta

import pytest
from django.utils import timezone

from respondents.models import Invitation, PanelMember, Response, ResponseStatus, Wave, WaveState
from respondents.services.responses import (
    RESUME_GAP_SECONDS,
    StartRefusedError,
    record_page_view,
    start_response,
    submit_page,
)
from respondents.services.waves import change_wave_state, open_wave
from respondents.tokens import issue_invitation
from surveys.models import QuestionnaireVersion
from surveys.services.questionnaires import publish_version
from tests.builders import build_version, make_study
from tests.respondents.form_helpers import GOOD_PAGES, make_wave

pytestmark = pytest.mark.django_db

SAME_PAGE = [
    {
        "name": "work",
        "questions": [
            {"name": "employed", "type": "select_one", "choices": "yesno", "required": True},
            {"name": "job", "type": "text", "relevant": "${employed} = 'yes'", "required": True},
        ],
    },
    {"name": "last", "questions": [{"name": "mood", "type": "integer"}]},
]


def _same_page_wave() -> Wave:
    study = make_study()
    version = build_version(
        study,
        SAME_PAGE,
        choices={"yesno": [("yes", {"en": "Yes"}), ("no", {"en": "No"})]},
        publish=False,
    )
    QuestionnaireVersion.objects.filter(pk=version.pk).update(
        metadata_fields=[
            {"name": "began", "type": "start"},
            {"name": "done", "type": "end"},
            {"name": "dev", "type": "deviceid"},
        ],
    )
    version = publish_version(version.pk)
    return open_wave(study, version, "w1")


def test_a_stale_step_changes_nothing():
    wave = make_wave()
    started = start_response(wave, language="en")

    first = submit_page(started.response.pk, page="about", step=1, data=GOOD_PAGES["about"])
    retried = submit_page(
        started.response.pk, page="about", step=1, data={"age": ["99"], "country": ["am"]}
    )
    wrong_page = submit_page(started.response.pk, page="trust", step=2, data=GOOD_PAGES["trust"])

    assert (first.outcome, retried.outcome, wrong_page.outcome) == ("advanced", "stale", "stale")
    response = Response.objects.get()
    assert response.answers["age"] == 34
    assert "trust_people" not in response.answers
    assert response.current_page == "children"


def test_an_item_shown_by_an_answer_on_the_same_page_is_asked_before_moving_on():
    wave = _same_page_wave()
    response = start_response(wave, language="en").response

    expanded = submit_page(
        response.pk, page="work", step=1, data={"employed": ["yes"]}, shown=["employed"]
    )
    missing = submit_page(
        response.pk, page="work", step=1, data={"employed": ["yes"]}, shown=["employed", "job"]
    )
    answered = submit_page(
        response.pk,
        page="work",
        step=1,
        data={"employed": ["yes"], "job": ["nurse"]},
        shown=["employed", "job"],
    )

    assert expanded.outcome == "expanded"
    assert missing.outcome == "invalid"
    assert missing.errors == {"job": "This question requires an answer."}
    assert answered.outcome == "advanced"
    assert Response.objects.get().answers == {"employed": "yes", "job": "nurse"}


def test_metadata_records_start_and_end_but_never_a_device_id():
    wave = _same_page_wave()
    response = start_response(wave, language="en").response

    submit_page(response.pk, page="work", step=1, data={"employed": ["no"]})
    done = submit_page(response.pk, page="last", step=2, data={"mood": ["3"]})

    response.refresh_from_db()
    assert done.outcome == "completed"
    assert response.status == ResponseStatus.COMPLETED
    assert response.completed_at is not None
    assert set(response.paradata["metadata"]) == {"began", "done"}
    assert response.paradata["metadata"]["began"] == response.started_at.isoformat()
    assert response.current_page == "end"


def test_a_page_reopened_after_a_long_absence_restarts_its_clock():
    wave = make_wave()
    started_at = timezone.now() - timedelta(days=2)
    response = start_response(wave, language="en", now=started_at).response

    # given: two views after the gap, each with the copy of the row loaded before either wrote
    loaded = Response.objects.get(pk=response.pk)
    record_page_view(loaded, now=started_at + timedelta(seconds=RESUME_GAP_SECONDS + 1))
    record_page_view(loaded, now=started_at + timedelta(seconds=RESUME_GAP_SECONDS + 5))
    submit_page(
        response.pk,
        page="about",
        step=1,
        data=GOOD_PAGES["about"],
        now=started_at + timedelta(seconds=RESUME_GAP_SECONDS + 41),
    )

    about = Response.objects.get().paradata["pages"]["about"]
    assert about == {"seconds": 40.0, "visits": 2}


def test_an_invitation_starts_one_response_however_often_consent_is_clicked():
    wave = make_wave()
    member = PanelMember.objects.create(study=wave.study, pseudonym="m1")
    invitation, _token = issue_invitation(member, wave)

    first = start_response(wave, invitation=invitation, language="ru")
    second = start_response(wave, invitation=invitation, language="en")

    assert first.response.pk == second.response.pk
    assert first.resume_token == second.resume_token == ""
    assert Response.objects.count() == 1
    assert Invitation.objects.get().started_at is not None
    assert first.response.member == member


def test_a_closed_wave_refuses_to_start():
    wave = make_wave()
    change_wave_state(wave, WaveState.CLOSED)
    wave.refresh_from_db()

    with pytest.raises(StartRefusedError) as refused:
        start_response(wave, language="en")

    assert refused.value.reason == "closed"
    assert Response.objects.count() == 0


def test_back_on_the_first_page_keeps_valid_answers_and_drops_invalid_ones():
    wave = make_wave()
    response = start_response(wave, language="en").response

    result = submit_page(
        response.pk, page="about", step=1, data={"age": ["7"], "country": ["ge"]}, action="back"
    )

    response.refresh_from_db()
    assert result.outcome == "back"
    assert response.answers == {"country": "ge"}
    assert response.current_page == "about"
