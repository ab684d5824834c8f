"""Counting requests against a limit per minute, in the cache every process shares.

A fixed one-minute window per bucket: a client over the limit is told how many seconds remain in
the window. With Redis as the cache (ACCORD_CACHE_URL, or a Redis broker) the counts are shared by
every worker and all of a request's buckets are counted in one round trip (INCRBY and EXPIRE in a
pipeline); with the in-process default each process counts on its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

WINDOW = 60
Bucket = tuple[str, int, int]  # (name, count, limit a minute)


def take(bucket: str, count: int, limit: int, *, now: float | None = None) -> int:
    """Count `count` against `bucket` (at most `limit` a minute): 0 when within the limit, else
    the seconds until the window turns. Refused counts still count, so hammering does not help."""
    return take_all([(bucket, count, limit)], now=now)[0]


def take_all(buckets: Sequence[Bucket], *, now: float | None = None) -> list[int]:
    """`take` for several buckets in order (one round trip with Redis); the wait for each. The
    first bucket over its limit refuses the request: the buckets after it are not counted (a
    client over its own limit does not use up a shared one)."""
    now = time.time() if now is None else now
    window = int(now // WINDOW)
    keys = [f"accord:rate:{name}:{window}" for name, _, _ in buckets]
    cache = caches["default"]
    waits = [0] * len(buckets)
    wait = max(1, math.ceil((window + 1) * WINDOW - now))
    if isinstance(cache, RedisCache):
        used = _add_redis(cache, keys, buckets)
        refused = next((n for n, total in enumerate(used) if total > buckets[n][2]), None)
        if refused is not None:
            waits[refused] = wait
            _give_back(cache, keys[refused + 1 :], buckets[refused + 1 :])
        return waits
    for n, (key, (_, count, limit)) in enumerate(zip(keys, buckets, strict=True)):
        if _add_generic(cache, key, count) > limit:
            waits[n] = wait
            break
    return waits


def _add_redis(cache: RedisCache, keys: list[str], buckets: Sequence[Bucket]) -> list[int]:
    pipe = cache._cache.get_client(write=True).pipeline(transaction=False)
    for key, (_, count, _) in zip(keys, buckets, strict=True):
        full = cache.make_and_validate_key(key)
        pipe.incrby(full, count)
        pipe.expire(full, WINDOW * 2, nx=True)
    answers = pipe.execute()
    return [int(answers[2 * n]) for n in range(len(keys))]


def _give_back(cache: RedisCache, keys: list[str], buckets: Sequence[Bucket]) -> None:
    if keys:
        pipe = cache._cache.get_client(write=True).pipeline(transaction=False)
        for key, (_, count, _) in zip(keys, buckets, strict=True):
            pipe.decrby(cache.make_and_validate_key(key), count)
        pipe.execute()


def _add_generic(cache: BaseCache, key: str, count: int) -> int:
    if cache.add(key, count, timeout=WINDOW * 2):
        return count
    try:
        return int(cache.incr(key, count))
    except ValueError:  # the window's entry expired between the two calls
        cache.set(key, count, timeout=WINDOW * 2)
        return count
