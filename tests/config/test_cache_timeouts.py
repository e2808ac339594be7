"""A respondent's start is not held by a cache (Redis) that stops answering.

A socket that listens and never accepts stands for a frozen Redis: the kernel completes the
handshake and no reply ever comes, so only the client's own socket timeouts end the wait.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

# Only a guard so a regression fails rather than stalls the run; the assertion is the error.
HANG_GUARD = 30


@pytest.fixture
def silent_redis() -> Iterator[str]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_a_cache_call_to_a_redis_that_never_answers_fails_in_bounded_time(
    silent_redis: str,
) -> None:
    if settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        pytest.skip("needs the Redis cache settings (REDIS_URL)")
    cache = RedisCache(silent_redis, {"OPTIONS": settings.CACHES["default"]["OPTIONS"]})
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            cache.get("respondents:starts:probe")
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            outcome.append(exc)

    attempt = threading.Thread(target=call, daemon=True)
    attempt.start()
    attempt.join(HANG_GUARD)
    assert not attempt.is_alive(), "the cache call hung"
    assert len(outcome) == 1
    # What the start's rate limit catches to fail open.
    assert isinstance(outcome[0], RedisError)


def test_the_redis_cache_bounds_its_waits(settings: Any) -> None:
    if settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        pytest.skip("needs the Redis cache settings (REDIS_URL)")
    options = settings.CACHES["default"]["OPTIONS"]
    assert 0 < options["socket_connect_timeout"] <= 5
    assert 0 < options["socket_timeout"] <= 5
