"""The locks an ingest transaction takes before it writes anything, in one global order.

Requests that overlap may be about the same people. On PostgreSQL each ingest transaction takes,
first and in one statement, transaction-level advisory locks in (class, key) order:

- `ANONYMOUS` on each anonymous id it stores events of (shared) or may link to a contact
  (exclusive), so that an event stored while its visitor identifies elsewhere is still linked
  (`pipeline._link_overlapping`);
- `CLAIM` on each user id and email the batch names that no contact has yet, so that two
  requests never both give the same new id or email to a contact: the second waits for the
  first, then reads what it wrote (a new anonymous id is only ever tied under its exclusive
  `ANONYMOUS` lock, which serves the same end).

Identity resolution then locks the contacts it found, in id order, before changing any of them.
A transaction therefore waits only for locks later in the order than those it holds, and two
requests cannot wait for each other in a circle. (SQLite runs one write transaction at a time.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import connection

from accord.tracking.domain import EventType, Message

ANONYMOUS = 7301  # pg_advisory_xact_lock(class, key): an anonymous id's events are stored or linked
CLAIM = 7302  # an id or an email is being given to a contact


def key(text: str) -> int:
    """A lock key for a text: 32 bits of its hash (two texts sharing one only wait for each other)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big", signed=True)


def anonymous_modes(messages: Iterable[Message], *, known: set[str]) -> dict[str, bool]:
    """The anonymous ids whose events a batch stores or links: anonymous id -> whether exclusively.

    A message that names a person (a user id, an identify, an alias) may link its browser's history
    to them: exclusive. A message of a browser no contact has yet (not in `known`) stores an event
    that may need linking: shared (such requests never wait for one another). A known browser's
    event is stored with its contact: no lock."""
    exclusive: dict[str, bool] = {}
    for m in messages:
        if m.anonymous_id:
            if m.user_id or m.type is EventType.IDENTIFY:
                exclusive[m.anonymous_id] = True
            elif m.anonymous_id not in known:
                exclusive.setdefault(m.anonymous_id, False)
        if m.type is EventType.ALIAS and m.previous_id:
            exclusive[m.previous_id] = True
    return exclusive


def take(*, anonymous: dict[str, bool], claims: Iterable[str]) -> None:
    """Take the batch's advisory locks in one statement, in (class, key) order (PostgreSQL only)."""
    modes: dict[tuple[int, int], bool] = {}
    for value, exclusive in anonymous.items():
        at = (ANONYMOUS, key(value))
        modes[at] = modes.get(at, False) or exclusive
    for claim in claims:
        modes[(CLAIM, key(claim))] = True
    if not modes or connection.vendor != "postgresql":
        return
    order = sorted(modes)
    with connection.cursor() as cursor:
        cursor.execute(  # unnest yields the rows in array order: the locks are taken in that order
            "SELECT CASE WHEN x THEN pg_advisory_xact_lock(c, k) ELSE pg_advisory_xact_lock_shared(c, k) END"
            " FROM unnest(%s::integer[], %s::integer[], %s::boolean[]) AS t(c, k, x)",
            [[c for c, _ in order], [k for _, k in order], [modes[o] for o in order]],
        )
