"""Writing events: idempotent by message key, fast on PostgreSQL (COPY), portable elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from django.db import connection, transaction

from accord.tracking.domain import Message

COLUMNS = (
    "message_id", "message_key", "type", "name", "user_id", "anonymous_id", "contact_id", "timestamp",
    "original_timestamp", "sent_at", "received_at", "url", "path", "referrer", "utm_source", "utm_medium",
    "utm_campaign", "utm_term", "utm_content", "campaign_id", "offer", "properties", "context", "sent_with",
)  # fmt: skip
_COLUMN_LIST = ", ".join(COLUMNS)
_STAGE = "tracking_event_stage"


def _json(value: dict[str, Any]) -> str:
    return orjson.dumps(value, default=str).decode()


def _row(m: Message, sent_with: str) -> tuple[Any, ...]:
    return (
        m.message_id, m.message_key, m.type.value, m.name, m.user_id, m.anonymous_id, m.contact_id, m.timestamp,
        m.original_timestamp, m.sent_at, m.received_at, m.url, m.path, m.referrer, m.utm_source, m.utm_medium,
        m.utm_campaign, m.utm_term, m.utm_content, m.campaign_id, m.offer, _json(m.properties), _json(m.context),
        sent_with,
    )  # fmt: skip


def unique(messages: Sequence[Message]) -> list[Message]:
    """The messages with duplicate keys within the list dropped (the first one counts)."""
    seen: set[Any] = set()
    kept = []
    for message in messages:
        if message.message_key not in seen:
            seen.add(message.message_key)
            kept.append(message)
    return kept


def already_stored(messages: Sequence[Message]) -> set[Any]:
    """The message keys among `messages` that are stored already."""
    from accord.tracking.models import Event

    keys = [m.message_key for m in messages]
    found: set[Any] = set()
    for start in range(0, len(keys), 900):
        found.update(
            Event.objects.filter(message_key__in=keys[start : start + 900]).values_list("message_key", flat=True)
        )
    return found


def insert(messages: Sequence[Message], *, sent_with: str) -> list[Message]:
    """Store messages checked not to be stored yet; the caller holds the transaction.

    A concurrent request may store the same message between that check and this insert: the
    database's unique key then decides, the duplicate is dropped, and only the messages this
    call really stored are returned.
    """
    if not messages:
        return []
    if connection.vendor != "postgresql":
        # Other databases (SQLite) take the write lock when the transaction begins, so no other
        # request can store these messages between the caller's check and this insert.
        from accord.tracking.models import Event

        events = [Event(**dict(zip(COLUMNS, _row(m, sent_with), strict=True))) for m in messages]
        for event, m in zip(events, messages, strict=True):
            event.properties, event.context = m.properties, m.context
        Event.objects.bulk_create(events, batch_size=500, ignore_conflicts=True)
        return list(messages)
    stored = _insert_postgres([_row(m, sent_with) for m in messages])
    if stored is None:
        return list(messages)
    return [m for m in messages if m.message_key in stored]


def _insert_postgres(rows: list[tuple[Any, ...]]) -> set[Any] | None:
    """COPY straight into the table (None: all stored); on a key clash, through a staging table."""
    import psycopg

    try:
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY tracking_event ({_COLUMN_LIST}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return None
    except psycopg.errors.UniqueViolation:
        pass  # a concurrent request stored some of them
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} AS SELECT {_COLUMN_LIST} FROM tracking_event WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {_STAGE}")
        with cursor.cursor.copy(f"COPY {_STAGE} ({_COLUMN_LIST}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO tracking_event ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {_STAGE} "
            "ON CONFLICT (message_key) DO NOTHING RETURNING message_key"
        )
        stored = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"TRUNCATE {_STAGE}")
    return stored
