"""Writing notifications: in the caller's transaction, never twice for the same event.

`outbox_write` turns notes into a `Message` per event key, an in-app `Notification` and an email
`Delivery` per person, and a `Delivery` per webhook or Slack subscription that wants the event.
Inserts skip rows that exist (a key seen before, a person told already), so writing the same
notes twice, or from two transactions at once, writes them once. Once the transaction commits,
workers are told (Celery, with a broker); without one, the jobs process finds them on its next poll.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from accord.accounts.models import User
from accord.core import bulk, clock
from accord.notify.domain import EmailMode, Event
from accord.notify.models import Delivery, Message, Notification, Subscription


@dataclass(frozen=True)
class Note:
    """One event to tell people about."""

    event: Event
    key: str  # the same event always gives the same key: "sla.breached:milestone:123"
    title: str
    body: str = ""
    link: str = ""  # a path in Accord: "/queue/handoffs/12/"
    payload: dict[str, Any] = field(default_factory=dict)
    users: tuple[int, ...] = ()  # who is told in the app and by email


def outbox_write(notes: Sequence[Note]) -> list[int]:
    """Write the notes' messages and deliveries; the ids of the deliveries written (only when a
    broker is set: without one, the jobs process finds them and nobody needs their ids)."""
    if not notes:
        return []
    now = clock.now()
    fresh = {n.key[:200]: n for n in notes}
    messages = _messages(fresh, now)  # the keys written now (a key seen before is skipped)
    if not messages:
        return []
    wanted = {pk for key, n in fresh.items() if key in messages for pk in n.users}
    people, modes = _people(wanted)
    subscriptions = list(Subscription.objects.filter(active=True))
    deliveries: list[dict[str, Any]] = []
    inbox: list[dict[str, Any]] = []
    base = {
        "state": Delivery.State.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "last_error": "",
        "locked_until": None,
    }
    for key, note in fresh.items():
        message_id = messages.get(key)
        if message_id is None:
            continue
        for user_id in dict.fromkeys(note.users):
            if user_id not in people:
                continue
            mode = modes.get((user_id, note.event.value), EmailMode.INSTANT)
            inbox.append(
                {
                    "user_id": user_id,
                    "message_id": message_id,
                    "created_at": now,
                    "read_at": None,
                    "awaits_digest": mode == EmailMode.DIGEST,
                    "digest_id": None,
                }
            )
            if people[user_id] and mode == EmailMode.INSTANT:
                deliveries.append(
                    {
                        **base,
                        "message_id": message_id,
                        "channel": Delivery.Channel.EMAIL,
                        "user_id": user_id,
                        "subscription_id": None,
                        "address": people[user_id],
                    }
                )
        for subscription in subscriptions:
            if subscription.wants(note.event.value):
                deliveries.append(
                    {
                        **base,
                        "message_id": message_id,
                        "channel": subscription.kind,
                        "user_id": None,
                        "subscription_id": subscription.pk,
                        "address": subscription.url,
                    }
                )
    bulk.insert_rows(Notification, inbox)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        bulk.insert_rows(Delivery, deliveries)
        return []
    ids = bulk.reserve_ids(Delivery, len(deliveries))
    for pk, row in zip(ids, deliveries, strict=True):
        row["id"] = pk
    bulk.insert_rows(Delivery, deliveries)
    if ids:
        from accord.notify import tasks  # the workers' entry point

        transaction.on_commit(lambda: tasks.deliver.delay(delivery_ids=ids))
    return ids


def _people(wanted: set[int]) -> tuple[dict[int, str], dict[tuple[int, str], str]]:
    """The active people among `wanted` with their email addresses, and how each chose to hear of
    each event (only the events they chose something for): one query, people joined to choices."""
    if not wanted:
        return {}, {}
    people: dict[int, str] = {}
    modes: dict[tuple[int, str], str] = {}
    for pk, email, event, mode in User.objects.filter(pk__in=wanted, is_active=True).values_list(
        "pk", "email", "notification_preferences__event", "notification_preferences__email"
    ):
        people[pk] = email
        if event:
            modes[(pk, event)] = mode
    return people, modes


_MESSAGE_FIELDS = ("key", "event", "title", "body", "link", "payload", "created_at")


def _messages(fresh: dict[str, Note], now: dt.datetime) -> dict[str, int]:
    """Insert the notes' messages, skipping keys that exist (written before, or by another
    transaction at the same time): one `INSERT … ON CONFLICT DO NOTHING RETURNING` a batch. The ids
    of those written, by key."""
    fields = [f for f in Message._meta.concrete_fields if f.name in _MESSAGE_FIELDS]
    rows = [
        {
            "key": key,
            "event": n.event.value,
            "title": n.title[:300],
            "body": n.body,
            "link": n.link[:300],
            "payload": n.payload,
            "created_at": now,
        }
        for key, n in fresh.items()
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column or f.name) for f in fields)
    head = f"INSERT INTO {quote(Message._meta.db_table)} ({columns}) "
    tail = f" ON CONFLICT ({quote('key')}) DO NOTHING RETURNING {quote('id')}, {quote('key')}"
    written: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # one array a column, sent in binary: a statement of a few parameters however many rows,
            # with no placeholders to parse and no text to quote
            arrays = ", ".join(f"%b::{f.db_type(connection)}[]" for f in fields)
            values = list(bulk.prepared(fields, rows))
            columns_of = [list(column) for column in zip(*values, strict=True)]
            with connection.wrap_database_errors, bulk.bound_cursor() as bound:
                bound.execute(f"{head}SELECT * FROM unnest({arrays}){tail}", columns_of)
                written.update((key, pk) for pk, key in bound.fetchall())
            return written
        marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per = 500
        for start in range(0, len(rows), per):
            batch = list(bulk.prepared(fields, rows[start : start + per]))
            cursor.execute(
                f"{head}VALUES {', '.join([marks] * len(batch))}{tail}", [value for row in batch for value in row]
            )
            written.update((key, pk) for pk, key in cursor.fetchall())
    return written
