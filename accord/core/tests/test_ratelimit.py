"""Counting against a limit per minute, in the shared cache."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from django.core.cache import caches

from accord.core import ratelimit
from conftest import must_have


def test_within_the_limit_then_told_how_long_to_wait():
    at = 1_700_000_050.0  # 10 s into a minute (1_700_000_040 is a minute's start)
    assert [ratelimit.take("b", 2, 5, now=at) for _ in range(2)] == [0, 0]
    assert ratelimit.take("b", 2, 5, now=at) == 50  # 6 > 5: wait for the window to turn
    assert ratelimit.take("other", 5, 5, now=at) == 0  # buckets count apart
    assert ratelimit.take("b", 5, 5, now=at + 50) == 0  # a new minute, a new count


def test_refused_counts_still_count():
    at = 1_700_000_040.0
    assert ratelimit.take("h", 10, 5, now=at) == 60
    assert ratelimit.take("h", 1, 5, now=at + 1) == 59


@pytest.fixture
def redis_cache(settings):
    """The cache on a real Redis, as production has it with ACCORD_CACHE_URL."""
    url = os.environ.get("ACCORD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        must_have(f"Redis at {url}")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                                   "KEY_PREFIX": f"accord-test-{uuid.uuid4()}"}}  # fmt: skip
    yield
    caches["default"].clear()


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_a_client_over_its_own_limit_does_not_use_up_the_shared_one(backend, request):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    at = 1_700_000_040.0
    assert ratelimit.take_all([("ip:a", 4, 5), ("key", 4, 10)], now=at) == [0, 0]
    assert ratelimit.take_all([("ip:a", 4, 5), ("key", 4, 10)], now=at) == [60, 0]  # the address is over
    assert ratelimit.take_all([("ip:b", 4, 5), ("key", 4, 10)], now=at) == [0, 0]  # the key had 4 + 4
    assert ratelimit.take_all([("ip:c", 4, 5), ("key", 4, 10)], now=at + 30) == [0, 30]
