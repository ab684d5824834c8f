"""The one clock. Every timestamp Accord writes is an aware UTC datetime from `now()`.

Tests freeze time with `frozen(at)`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = previous
