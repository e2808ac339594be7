"""The OpenAPI schema describes the questionnaire upload as a multipart file, so the API
docs (Swagger UI) offer a file picker and send the file."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

UPLOAD = "/api/v1/studies/{slug}/questionnaires/upload/"


def _schema() -> dict[str, Any]:
    reply = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema: dict[str, Any] = reply.json()
    return schema


def test_the_upload_is_a_binary_file_in_a_multipart_body():
    schema = _schema()
    body = schema["paths"][UPLOAD]["post"]["requestBody"]
    assert list(body["content"]) == ["multipart/form-data"]
    reference = body["content"]["multipart/form-data"]["schema"]["$ref"]
    component = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert component["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "An XLSForm (.xlsx, .xls, .csv) or native JSON file.",
    }
    assert component["required"] == ["file"]


def test_a_refused_upload_is_described_with_its_list_of_problems():
    schema = _schema()
    responses = schema["paths"][UPLOAD]["post"]["responses"]
    reference = responses["400"]["content"]["application/json"]["schema"]["$ref"]
    refusal = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert refusal["properties"]["problems"]["type"] == "array"
    item = refusal["properties"]["problems"]["items"]["$ref"]
    problem = schema["components"]["schemas"][item.rsplit("/", 1)[-1]]
    assert set(problem["properties"]) == {"message", "sheet", "row", "column"}
