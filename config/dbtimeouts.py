"""How long a request may wait for PostgreSQL to accept a connection.

A respondent's page that cannot reach the database must fail in bounded time with the error
page, not hang: libpq's connect_timeout bounds the TCP connect and the start-up exchange.
libpq treats 0 as "wait for ever" and rounds 1 up to 2, so the accepted range starts at 2;
the top stays under gunicorn's 60 s worker timeout (config/gunicorn_conf.py), past which the
worker would be killed mid-request rather than answer.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

DEFAULT_CONNECT_TIMEOUT = 5
MIN_CONNECT_TIMEOUT = 2
MAX_CONNECT_TIMEOUT = 30


def database_connect_timeout(seconds: int) -> int:
    if not MIN_CONNECT_TIMEOUT <= seconds <= MAX_CONNECT_TIMEOUT:
        raise ImproperlyConfigured(
            f"DATABASE_CONNECT_TIMEOUT must be between {MIN_CONNECT_TIMEOUT} and "
            f"{MAX_CONNECT_TIMEOUT} seconds, not {seconds}"
        )
    return seconds
