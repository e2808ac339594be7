"""A page's columns saved by the fixed UPDATE read back as the ORM's save would leave them."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from respondents.models import Response, ResponseStatus
from respondents.response_update import save_columns
from respondents.services.responses import start_response
from tests.respondents.form_helpers import make_wave

pytestmark = pytest.mark.django_db


def test_saved_columns_read_back_and_others_are_left_alone():
    # given a started response, changed in memory in the saved columns and one other
    response = start_response(make_wave()).response
    before = Response.objects.get(pk=response.pk)
    response.answers = {"age": 34, "comment": "Спасибо", "topics": ["war", "home"]}
    response.paradata["nav"]["step"] = 7
    response.current_page = "views"
    response.status = ResponseStatus.COMPLETED
    response.language = "ru"

    # when the page's columns are saved
    save_columns(response, ["answers", "paradata", "current_page", "status", "updated_at"])

    # then they read back as written, updated_at is stamped anew, the language is untouched
    stored = Response.objects.get(pk=response.pk)
    assert stored.answers == {"age": 34, "comment": "Спасибо", "topics": ["war", "home"]}
    assert stored.paradata["nav"]["step"] == 7
    assert (stored.current_page, stored.status) == ("views", ResponseStatus.COMPLETED)
    assert stored.updated_at > before.updated_at
    assert stored.updated_at == response.updated_at
    assert stored.language == before.language


def test_a_response_whose_row_is_gone_is_refused():
    response = start_response(make_wave()).response
    Response.objects.filter(pk=response.pk).delete()

    with pytest.raises(DatabaseError, match="did not affect any rows"):
        save_columns(response, ["answers", "updated_at"])
