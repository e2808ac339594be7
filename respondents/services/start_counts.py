"""Counting a response start against its rate-limit windows in one Redis round trip.

Each start counts against two counters (respondents/services/responses.py), and Django's
cache API counts one with two calls (`add` to open the window, `incr`), so a start cost four
round trips to Redis on every consent POST. On Redis one Lua script increments every
counter and opens the window of any it creates, atomically: no counter can be left without
its expiry, and two starts at once both count. Other cache backends (the local-memory cache
of embedded mode) keep the cache API's calls.

The script's counters are plain Redis integers under the cache's own keys, which is what
Django's Redis backend stores for an integer, so `cache.get` and `cache.incr` read them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

# KEYS: the counters; ARGV[1]: the window in seconds. A counter INCR creates is 1, and only
# then is its window opened: later starts in the window leave its expiry alone.
_COUNT_SCRIPT = """
local counts = {}
for index, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then
    redis.call('EXPIRE', key, ARGV[1])
  end
  counts[index] = count
end
return counts
"""


def count_starts(keys: Sequence[str], window: int) -> list[int]:
    """Add one to each counter (opening a `window`-second window for a new one) and return
    the counts. Raises what the cache raises when it cannot be reached."""
    if not keys:
        return []
    # The backend itself, not django.core.cache.cache (a proxy no isinstance sees through).
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        return _count_on_redis(backend, keys, window)
    return [_count_with_cache_api(backend, key, window) for key in keys]


def _count_on_redis(redis_cache: RedisCache, keys: Sequence[str], window: int) -> list[int]:
    full_keys = [redis_cache.make_and_validate_key(key) for key in keys]
    # The backend's own connection pool (a cached property the stubs do not declare).
    pool: Any = getattr(redis_cache, "_cache")  # noqa: B009
    client = pool.get_client(full_keys[0], write=True)
    # register_script sends EVALSHA, loading the script only when the server lacks it.
    counts = client.register_script(_COUNT_SCRIPT)(keys=full_keys, args=[window])
    return [int(count) for count in counts]


def _count_with_cache_api(backend: BaseCache, key: str, window: int) -> int:
    backend.add(key, 0, timeout=window)
    try:
        return backend.incr(key)
    except ValueError:
        # The counter expired between add() and incr(): this start opens a new window.
        backend.set(key, 1, timeout=window)
        return 1
