"""The questionnaire API end to end: each role's limits, uploads, publish, fork, diff, export,
the item bank, and a draft from item-bank concepts.

Personas (tests/surveys/personas.py): Olga owns study A, Farid is its fieldwork manager,
Rita its researcher, Vera its viewer; Bob is a researcher of study B only.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from surveys.access import ERROR_ROLE_LACKS
from surveys.diff import ERROR_TYPE_CHANGED
from surveys.formjson import form_to_dict
from surveys.models import FROZEN_VERSION_MESSAGE, Question, QuestionnaireVersion
from surveys.services.itembank import load_item_bank
from surveys.services.questionnaires import (
    ERROR_UNKNOWN_CONCEPTS,
    fork_version,
    import_questionnaire,
    publish_version,
    version_to_form,
)
from tests.builders import make_study
from tests.surveys.forms import CHOICES, SURVEY, write_form
from tests.surveys.personas import make_team

pytestmark = pytest.mark.django_db

API = "/api/v1"
NOT_FOUND = {"detail": "Not found.", "field": None}


@pytest.fixture
def studies():
    return make_study("alpha", ("en", "ru")), make_study("beta", ("en",))


@pytest.fixture
def team(studies):
    return make_team(*studies)


@pytest.fixture
def draft(studies, tmp_path):
    return import_questionnaire(write_form(tmp_path / "panel.xlsx"), study=studies[0]).version


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _upload(client: APIClient, path: Path, slug: str = "alpha", **fields: str) -> Any:
    with path.open("rb") as handle:
        return client.post(
            f"{API}/studies/{slug}/questionnaires/upload/",
            {"file": handle, **fields},
            format="multipart",
        )


def _forbidden(action: str) -> dict[str, object]:
    return {"detail": ERROR_ROLE_LACKS.format(action=action), "field": None}


# -- studies and questionnaires ------------------------------------------------------------


def test_studies_list_only_those_the_caller_has_a_role_on(team):
    rita = client_for(team.researcher).get(f"{API}/studies/").json()
    bob = client_for(team.outsider).get(f"{API}/studies/").json()
    assert [s["slug"] for s in rita["results"]] == ["alpha"]
    assert [s["slug"] for s in bob["results"]] == ["beta"]
    assert client_for(team.viewer).get(f"{API}/studies/alpha/").json()["languages"] == [
        "en",
        "ru",
    ]
    reply = client_for(team.outsider).get(f"{API}/studies/alpha/")
    assert (reply.status_code, reply.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("manager", 200), ("researcher", 200), ("viewer", 403), ("outsider", 404)],
)
def test_questionnaires_and_versions_are_read_by_roles_that_view_questionnaires(
    team, draft, persona, status
):
    client = client_for(getattr(team, persona))
    questionnaire_id = draft.questionnaire_id
    replies = [
        client.get(f"{API}/studies/alpha/questionnaires/"),
        client.get(f"{API}/questionnaires/{questionnaire_id}/versions/"),
        client.get(f"{API}/versions/{draft.pk}/"),
        client.get(f"{API}/versions/{draft.pk}/diff/{draft.pk}/"),
        client.get(f"{API}/versions/{draft.pk}/export/?format=json"),
    ]
    assert [reply.status_code for reply in replies] == [status] * 5
    if status == 200:
        assert [q["name"] for q in replies[0].json()["results"]] == ["panel"]
        assert [v["id"] for v in replies[1].json()["results"]] == [draft.pk]
    if status == 404:
        assert [reply.json() for reply in replies[:4]] == [NOT_FOUND] * 4
    if status == 403:
        assert replies[0].json() == _forbidden("view_questionnaires")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 201), ("researcher", 201), ("manager", 403), ("viewer", 403), ("outsider", 404)],
)
def test_only_researchers_and_owners_upload_publish_fork_and_start_from_concepts(
    team, draft, tmp_path, persona, status
):
    # given
    load_item_bank()
    client = client_for(getattr(team, persona))
    versions = QuestionnaireVersion.objects.count()
    # when
    uploaded = _upload(client, write_form(tmp_path / "other.xlsx"))
    forked = client.post(f"{API}/versions/{draft.pk}/fork/")
    started = client.post(
        f"{API}/studies/alpha/questionnaires/from-concepts/",
        {"name": "core", "concepts": ["trust_people"]},
        format="json",
    )
    published = client.post(f"{API}/versions/{draft.pk}/publish/")
    # then
    publish_status = 200 if status == 201 else status
    assert [r.status_code for r in (uploaded, forked, started, published)] == [
        status,
        status,
        status,
        publish_status,
    ]
    if status == 201:
        assert QuestionnaireVersion.objects.count() == versions + 3
    else:
        assert QuestionnaireVersion.objects.count() == versions
        assert QuestionnaireVersion.objects.get(pk=draft.pk).status == "draft"
    if status == 404:
        assert published.json() == NOT_FOUND
    if status == 403:
        assert published.json() == _forbidden("edit_questionnaires")


def test_a_researcher_of_another_study_gets_404_for_every_version_operation(team, draft):
    bob = client_for(team.outsider)
    replies = [
        bob.get(f"{API}/versions/{draft.pk}/"),
        bob.post(f"{API}/versions/{draft.pk}/publish/"),
        bob.post(f"{API}/versions/{draft.pk}/fork/"),
        bob.get(f"{API}/versions/{draft.pk}/export/?format=xlsform"),
        bob.get(f"{API}/questionnaires/{draft.questionnaire_id}/versions/"),
        bob.get(f"{API}/studies/alpha/questionnaires/"),
    ]
    assert [(r.status_code, r.json()) for r in replies] == [(404, NOT_FOUND)] * 6
    assert QuestionnaireVersion.objects.get(pk=draft.pk).status == "draft"


def test_a_diff_against_a_version_of_another_study_is_404(team, draft, studies, tmp_path):
    theirs = import_questionnaire(write_form(tmp_path / "b.xlsx"), study=studies[1]).version
    reply = client_for(team.researcher).get(f"{API}/versions/{draft.pk}/diff/{theirs.pk}/")
    assert (reply.status_code, reply.json()) == (404, NOT_FOUND)


def test_anonymous_callers_get_401(draft):
    assert APIClient().get(f"{API}/versions/{draft.pk}/").status_code == 401


# -- uploads ----------------------------------------------------------------------------


def test_upload_creates_a_draft_through_import_questionnaire(team, tmp_path):
    reply = _upload(client_for(team.researcher), write_form(tmp_path / "panel.xlsx"))
    body = reply.json()
    assert reply.status_code == 201
    assert (body["items"], body["languages"], body["skipped"]) == (5, ["en", "ru"], [])
    assert (body["version"]["questionnaire"], body["version"]["status"]) == ("panel", "draft")
    version = QuestionnaireVersion.objects.get(pk=body["version"]["id"])
    assert version.questions.count() == 5


def test_upload_of_a_refused_form_is_400_naming_file_row_and_column(team, tmp_path):
    # A location cannot be asked on the web (a repeat, the old example here, now can).
    path = write_form(tmp_path / "where.xlsx", survey=[*SURVEY, ["geopoint", "where", "Where?"]])
    reply = _upload(client_for(team.researcher), path)
    body = reply.json()
    assert (reply.status_code, body["field"]) == (400, "file")
    assert body["detail"].startswith("where.xlsx: row 10, column type: type 'geopoint'")
    assert QuestionnaireVersion.objects.count() == 0


def test_upload_of_a_form_with_several_bad_rows_lists_each_with_its_sheet_and_row(team, tmp_path):
    # given: two bad items on the survey sheet and a repeated choice on the choices sheet
    survey = [*SURVEY, ["teleport", "beam", "Beam"], ["text", "bad name", "Name"]]
    choices = [*CHOICES, ["trust", "1", "Again", "Снова"]]
    path = write_form(tmp_path / "odd.xlsx", survey=survey, choices=choices)

    # when
    reply = _upload(client_for(team.researcher), path)

    # then
    body = reply.json()
    assert (reply.status_code, body["field"]) == (400, "file")
    places = [(p["sheet"], p["row"], p["column"]) for p in body["problems"]]
    assert places == [("survey", 10, "type"), ("survey", 11, "name"), ("choices", 8, "name")]
    assert body["problems"][2]["message"] == (
        "odd.xlsx: row 8, column name: choice '1' appears twice in list 'trust'"
    )
    assert body["errors"] == {"file": [p["message"] for p in body["problems"]]}
    assert body["detail"] == body["problems"][0]["message"]
    assert QuestionnaireVersion.objects.count() == 0


def test_a_refusal_without_rows_is_one_problem_with_no_place(team, tmp_path):
    path = tmp_path / "broken.json"
    path.write_bytes(b"{")
    body = _upload(client_for(team.researcher), path).json()
    assert body["problems"] == [
        {"message": body["detail"], "sheet": None, "row": None, "column": None}
    ]


def test_upload_with_skip_unsupported_lists_what_it_skipped(team, tmp_path):
    path = write_form(tmp_path / "photo.xlsx", survey=[*SURVEY, ["image", "selfie", "Photo"]])
    refused = _upload(client_for(team.researcher), path)
    reply = _upload(client_for(team.researcher), path, skip_unsupported="true")
    assert (refused.status_code, refused.json()["detail"]) == (
        400,
        "photo.xlsx: row 10, column type: type 'image' ('selfie') cannot be asked in a web "
        "survey; remove it or import with --skip-unsupported",
    )
    assert (reply.status_code, reply.json()["items"], reply.json()["skipped"]) == (
        201,
        5,
        [{"row": 10, "name": "selfie", "type": "image"}],
    )


def test_upload_of_a_native_json_form(team, draft, tmp_path):
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(form_to_dict(version_to_form(draft))), encoding="utf-8")
    reply = _upload(client_for(team.researcher), path, name="copy")
    assert reply.status_code == 201
    copy = QuestionnaireVersion.objects.get(pk=reply.json()["version"]["id"])
    assert version_to_form(copy) == version_to_form(draft)


@pytest.mark.parametrize(
    ("_case", "filename", "content", "detail"),
    [
        ("not a form type", "notes.txt", b"hello", "'notes.txt' is not a form file"),
        ("broken workbook", "broken.xlsx", b"not a zip", "broken.xlsx: cannot be read"),
        (
            "corrupt .xls compound document",
            "broken.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "broken.xls: cannot be read as an XLSForm",
        ),
        ("not UTF-8 CSV", "latin.csv", b"\xff\xfe\x00\x01", "latin.csv: cannot be read"),
        ("broken JSON", "broken.json", b"{", "broken.json: not valid JSON"),
        ("not UTF-8", "latin.json", b'{"a": "\xe9"}', "latin.json: not UTF-8 text (byte 7)"),
        ("nested too deeply", "deep.json", b"[" * 100_000, "deep.json: not a questionnaire"),
        ("JSON of the wrong shape", "shape.json", b"[]", "shape.json: at $: [] is not of type"),
    ],
)
def test_bad_uploads_are_400_on_the_file_field(team, tmp_path, _case, filename, content, detail):
    path = tmp_path / filename
    path.write_bytes(content)
    reply = _upload(client_for(team.researcher), path)
    assert (reply.status_code, reply.json()["field"]) == (400, "file")
    assert reply.json()["detail"].startswith(detail)
    assert QuestionnaireVersion.objects.count() == 0


def test_upload_refuses_a_changed_type_under_the_same_name(team, draft, tmp_path):
    publish_version(draft.pk)
    survey = [["text", *row[1:]] if row[1] == "age" else row for row in SURVEY]
    path = write_form(tmp_path / "panel.xlsx", survey=survey)
    reply = _upload(client_for(team.researcher), path)
    assert (reply.status_code, reply.json()["field"]) == (400, "file")
    assert reply.json()["detail"] == ERROR_TYPE_CHANGED.format(
        name="age", old="integer", new="text"
    )


# -- versions ----------------------------------------------------------------------------


def test_version_detail_carries_its_form_as_json(team, draft):
    body = client_for(team.researcher).get(f"{API}/versions/{draft.pk}/").json()
    assert body["form"] == form_to_dict(version_to_form(draft))
    assert (body["number"], body["status"], body["study"]) == (1, "draft", "alpha")


def test_publishing_twice_answers_409_with_the_frozen_message(team, draft):
    rita = client_for(team.researcher)
    first = rita.post(f"{API}/versions/{draft.pk}/publish/")
    again = rita.post(f"{API}/versions/{draft.pk}/publish/")
    assert (first.status_code, first.json()["status"], len(first.json()["content_hash"])) == (
        200,
        "published",
        64,
    )
    assert (again.status_code, again.json()) == (
        409,
        {"detail": FROZEN_VERSION_MESSAGE.format(version_id=draft.pk), "field": None},
    )


def test_publishing_a_draft_whose_item_changed_type_answers_409(team, draft):
    publish_version(draft.pk)
    fork = fork_version(draft.pk)
    Question.objects.filter(version=fork, name="age").update(type="decimal")
    reply = client_for(team.researcher).post(f"{API}/versions/{fork.pk}/publish/")
    assert (reply.status_code, reply.json()["detail"]) == (
        409,
        ERROR_TYPE_CHANGED.format(name="age", old="integer", new="decimal"),
    )


def test_fork_then_diff_lists_the_changed_wording(team, draft):
    rita = client_for(team.researcher)
    rita.post(f"{API}/versions/{draft.pk}/publish/")
    forked = rita.post(f"{API}/versions/{draft.pk}/fork/").json()
    assert (forked["number"], forked["status"], forked["forked_from"]) == (2, "draft", draft.pk)
    Question.objects.filter(version_id=forked["id"], name="age").update(
        labels={"en": "How old are you?", "ru": "Возраст"}
    )
    diff = rita.get(f"{API}/versions/{draft.pk}/diff/{forked['id']}/").json()
    assert diff["changed"] == [
        {
            "name": "age",
            "changes": [{"field": "labels.en", "old": "Age", "new": "How old are you?"}],
            "stale_translations": ["labels.ru"],
        }
    ]
    assert (diff["added"], diff["removed"]) == ([], [])


@pytest.mark.parametrize(
    ("export_format", "content_type", "suffix"),
    [
        ("xlsform", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        ("json", "application/json", "json"),
    ],
)
def test_export_gives_a_file_that_imports_to_an_equal_version(
    team, draft, studies, tmp_path, export_format, content_type, suffix
):
    reply = client_for(team.researcher).get(
        f"{API}/versions/{draft.pk}/export/?format={export_format}"
    )
    assert (reply.status_code, reply["Content-Type"]) == (200, content_type)
    assert reply["Content-Disposition"] == f'attachment; filename="panel-v1.{suffix}"'
    path = tmp_path / f"again.{suffix}"
    path.write_bytes(reply.content)
    again = import_questionnaire(path, study=studies[0], questionnaire_name="again")
    assert version_to_form(again.version) == version_to_form(draft)


def test_export_needs_a_known_format(team, draft):
    reply = client_for(team.researcher).get(f"{API}/versions/{draft.pk}/export/?format=sav")
    assert (reply.status_code, reply.json()["field"]) == (400, "format")


# -- the item bank -----------------------------------------------------------------------


def test_item_bank_lists_and_shows_concepts(team):
    load_item_bank()
    client = client_for(team.viewer)
    listed = client.get(f"{API}/item-bank/").json()
    concept = client.get(f"{API}/item-bank/trust_people/").json()
    assert listed["count"] > 20
    assert (concept["key"], concept["wvs7_item"]) == ("trust_people", "Q57")
    assert client.get(f"{API}/item-bank/no_such/").status_code == 404


def test_start_from_concepts_makes_a_harmonised_draft(team):
    load_item_bank()
    reply = client_for(team.researcher).post(
        f"{API}/studies/alpha/questionnaires/from-concepts/",
        {"name": "core", "concepts": ["trust_people", "trust_family"]},
        format="json",
    )
    assert reply.status_code == 201
    version = QuestionnaireVersion.objects.get(pk=reply.json()["id"])
    assert list(version.questions.values_list("name", "harmonise")) == [
        ("trust_people", "trust_people"),
        ("trust_family", "trust_family"),
    ]


def test_start_from_unknown_concepts_is_400_naming_them(team):
    reply = client_for(team.researcher).post(
        f"{API}/studies/alpha/questionnaires/from-concepts/",
        {"name": "core", "concepts": ["no_such"]},
        format="json",
    )
    assert (reply.status_code, reply.json()["field"], reply.json()["detail"]) == (
        400,
        "concepts",
        ERROR_UNKNOWN_CONCEPTS.format(keys="no_such"),
    )
    assert QuestionnaireVersion.objects.count() == 0


def test_upload_as_form_data_without_a_file_is_400(team):
    reply = client_for(team.researcher).post(
        f"{API}/studies/alpha/questionnaires/upload/", {"name": "x"}, format="multipart"
    )
    assert (reply.status_code, reply.json()["field"]) == (400, "file")
