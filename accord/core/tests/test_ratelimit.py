"""Counting against a limit per minute, in the shared cache."""

from __future__ import annotations

from accord.core import ratelimit


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
