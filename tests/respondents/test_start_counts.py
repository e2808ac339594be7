"""Start counters: one Lua call on Redis, the cache API elsewhere, the same counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

from respondents.services.start_counts import count_starts

LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_counts_each_key_from_one_and_keeps_counting():
    # given two counters, one of them already counted twice
    count_starts(["a"], 60)
    count_starts(["a"], 60)

    # when a start counts against both
    counts = count_starts(["a", "b"], 60)

    # then each has its own count, readable through the cache API
    assert counts == [3, 1]
    assert (cache.get("a"), cache.get("b")) == (3, 1)


def test_no_keys_counts_nothing():
    assert count_starts([], 60) == []


@pytest.mark.skipif(
    not isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache), reason="needs Redis (REDIS_URL)"
)
def test_on_redis_a_new_counter_gets_the_window_and_later_starts_keep_it():
    backend: Any = caches[DEFAULT_CACHE_ALIAS]
    key = backend.make_and_validate_key("w")
    client = backend._cache.get_client(key, write=True)

    # given a counter opened with a 60 s window whose expiry has since been shortened
    count_starts(["w"], 60)
    assert 0 < client.ttl(key) <= 60
    client.expire(key, 5)

    # when another start counts
    assert count_starts(["w"], 60) == [2]

    # then the window still ends when it did: a later start does not extend it
    assert 0 < client.ttl(key) <= 5


def test_the_local_memory_cache_counts_alike(settings: Any):
    # given embedded mode's local-memory cache
    settings.CACHES = LOCAL_MEMORY
    assert not isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache)

    # when starts count against two counters
    count_starts(["x"], 60)
    counts = count_starts(["x", "y"], 60)

    # then the counts are the same as on Redis
    assert counts == [2, 1]
