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
from django.db import IntegrityError, transaction

from accord.accounts.models import User
from accord.core import bulk, clock
from accord.notify.domain import Event
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
    """Write the notes' messages and deliveries; the ids of the deliveries written."""
    if not notes:
        return []
    now = clock.now()
    unique = {n.key[:200]: n for n in notes}
    seen = set(Message.objects.filter(key__in=list(unique)).values_list("key", flat=True))
    fresh = {key: note for key, note in unique.items() if key not in seen}
    if not fresh:
        return []
    try:
        with transaction.atomic():  # a savepoint: a key written meanwhile falls back to the careful path
            ids = _write(fresh, now, careful=False)
    except IntegrityError:
        ids = _write(fresh, now, careful=True)
    if ids and not settings.CELERY_TASK_ALWAYS_EAGER:
        from accord.notify import tasks  # the workers' entry point

        transaction.on_commit(lambda: tasks.deliver.delay(delivery_ids=ids))
    return ids


def _write(fresh: dict[str, Note], now: dt.datetime, *, careful: bool) -> list[int]:
    """Insert the messages, in-app notifications and deliveries of notes whose keys are new.

    Fast (COPY on PostgreSQL, ids reserved first), or `careful`: skipping rows that exist, for
    when another transaction wrote one of the keys since they were looked up."""
    rows: list[dict[str, Any]] = [
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
    if careful:
        Message.objects.bulk_create([Message(**r) for r in rows], ignore_conflicts=True)
        messages = dict(Message.objects.filter(key__in=list(fresh), created_at=now).values_list("key", "pk"))
    else:
        reserved = bulk.reserve_ids(Message, len(rows))
        for pk, row in zip(reserved, rows, strict=True):
            row["id"] = pk
        bulk.insert_rows(Message, rows)
        messages = {row["key"]: row["id"] for row in rows}
    wanted = {pk for key, n in fresh.items() if key in messages for pk in n.users}
    people = dict(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", "email")) if wanted else {}
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
            inbox.append({"user_id": user_id, "message_id": message_id, "created_at": now, "read_at": None})
            if people[user_id]:
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
    if careful:
        Notification.objects.bulk_create([Notification(**r) for r in inbox], ignore_conflicts=True)
        Delivery.objects.bulk_create([Delivery(**r) for r in deliveries], ignore_conflicts=True)
        return list(
            Delivery.objects.filter(message_id__in=list(messages.values()), created_at=now).values_list("pk", flat=True)
        )
    bulk.insert_rows(Notification, inbox)
    ids = bulk.reserve_ids(Delivery, len(deliveries))
    for pk, row in zip(ids, deliveries, strict=True):
        row["id"] = pk
    bulk.insert_rows(Delivery, deliveries)
    return ids
