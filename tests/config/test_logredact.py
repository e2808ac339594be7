"""The log filter: tokens, network addresses and contact details never reach a log line,
including the worker's (Celery must not replace the filtered root handler)."""

from __future__ import annotations

import logging
import smtplib

import pytest

from config.celery import app as celery_app
from config.logredact import RedactFilter, redact


@pytest.mark.parametrize(
    ("_case", "text", "expected"),
    [
        ("_case_email", "refused anna.k+p@mail.example.org", "refused [email]"),
        ("_case_email_in_repr", "{'Boris@Example.ORG': (550, b'no')}", "{'[email]': (550, b'no')}"),
        ("_case_handle", "handle @anna_k2024 given", "handle @[telegram] given"),
        ("_case_tme_link", "see https://t.me/anna_k2024 now", "see https://t.me/[telegram] now"),
        ("_case_ip", "from 203.0.113.7", "from [ip]"),
        ("_case_ipv6_full", "from 2001:0db8:85a3:0:0:8a2e:370:7334 x", "from [ip] x"),
        ("_case_ipv6_compressed", "from 2001:db8::1 x", "from [ip] x"),
        ("_case_ipv6_loopback", "peer ::1 closed", "peer [ip] closed"),
        ("_case_ipv6_link_local", "via fe80::1ff:fe23:4567:890a", "via [ip]"),
        ("_case_ipv6_bracketed", "[2a02:6b8::2:242]:443", "[[ip]]:443"),
        ("_case_double_colon_alone_is_kept", "a :: b", "a :: b"),
        ("_case_token_path", "GET /i/abcdefghijklmnop/ 200", "GET /i/[redacted]/ 200"),
        ("_case_short_at_is_kept", "@ 5 items, @me", "@ 5 items, @me"),
    ],
)
def test_redact_removes_contact_details_addresses_and_tokens(_case, text, expected):
    assert redact(text) == expected


def test_the_filter_redacts_the_traceback_of_an_exception_naming_an_address():
    # given a record of an SMTP refusal, as a worker logs a failed task
    try:
        raise smtplib.SMTPRecipientsRefused({"anna@example.org": (550, b"unknown")})
    except smtplib.SMTPRecipientsRefused as error:
        record = logging.LogRecord(
            "celery.app.trace", logging.ERROR, __file__, 1, "Task failed: %r", (error,), None
        )
        record.exc_info = (type(error), error, error.__traceback__)

    # when
    assert RedactFilter().filter(record) is True
    line = logging.Formatter().format(record)

    # then
    assert "anna@example.org" not in line
    assert "[email]" in line
    assert "SMTPRecipientsRefused" in line


def test_the_worker_keeps_the_filtered_root_logger():
    assert celery_app.conf.worker_hijack_root_logger is False
