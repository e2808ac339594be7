import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from respondents.models import Response
from tests.respondents.form_helpers import (
    GOOD_PAGES,
    answer_pages,
    hidden_value,
    make_wave,
    page_post,
)

pytestmark = pytest.mark.django_db

# Documentation ranges (RFC 5737, RFC 3849): distinctive, and nobody's real address.
PROXY_ADDRESS = "192.0.2.201"
CLIENT_ADDRESS = "198.51.100.231"
IPV6_ADDRESS = "2001:db8:77:88::99"
NETWORKS = ("192.0.2.", "198.51.100.", "2001:db8:77")


def _every_stored_text() -> str:
    """Every row of every table, as text: what a leaked database would show."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_no_raw_ip_address_is_written_to_the_database_or_the_logs(settings, caplog, capsys):
    # given: a proxy in front that forwards the client's address
    settings.PANELWAVE_TRUSTED_PROXY_COUNT = 1
    caplog.set_level(logging.DEBUG)
    wave = make_wave()
    headers: dict[str, Any] = {"REMOTE_ADDR": PROXY_ADDRESS, "HTTP_X_FORWARDED_FOR": CLIENT_ADDRESS}
    v6_headers: dict[str, Any] = {"REMOTE_ADDR": IPV6_ADDRESS}

    # when: one respondent finishes and joins, another is refused a bad answer
    client = Client(**headers)
    started = client.post(f"/s/{wave.slug}/?src=tg", {})
    url = started["Location"]
    answer_pages(client, url, GOOD_PAGES)
    client.post(url + "join/", {"email": "someone@example.org"})
    other = Client(**v6_headers)
    other_url = other.post(f"/s/{wave.slug}/", {})["Location"]
    html = other.get(other_url).content.decode()
    other.post(other_url, page_post(html, {"age": ["5"]}))
    Client(**headers).get("/i/" + "B" * 43 + "/")

    # then
    assert Response.objects.count() == 2
    assert all(len(r.fingerprint) == 64 for r in Response.objects.all())
    stored = _every_stored_text()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    printed = "".join(capsys.readouterr())
    for network in NETWORKS:
        assert network not in stored
        assert network not in logged
        assert network not in printed
    assert hidden_value(html, "_pw_page") == "about"
