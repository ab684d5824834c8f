"""Counting requests against a limit per minute, in the cache every process shares.

A fixed one-minute window per bucket: cheap (one or two cache round trips), and a client over
the limit is told how many seconds remain in the window. With Redis as the cache the count is
shared by every worker; with the in-process default each process counts on its own.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache

WINDOW = 60


def take(bucket: str, count: int, limit: int, *, now: float | None = None) -> int:
    """Count `count` against `bucket` (at most `limit` a minute): 0 when within the limit, else
    the seconds until the window turns. Refused counts still count, so hammering does not help."""
    now = time.time() if now is None else now
    window = int(now // WINDOW)
    key = f"accord:rate:{bucket}:{window}"
    if cache.add(key, count, timeout=WINDOW * 2):
        used = count
    else:
        try:
            used = cache.incr(key, count)
        except ValueError:  # the window's entry expired between the two calls
            cache.set(key, count, timeout=WINDOW * 2)
            used = count
    if used <= limit:
        return 0
    return max(1, math.ceil((window + 1) * WINDOW - now))
