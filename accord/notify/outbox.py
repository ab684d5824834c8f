"""Writing notifications: in the caller's transaction, never twice for the same event.

`outbox_write` turns notes into a `Message` per event key, an in-app `Notification` and an email
`Delivery` per person, and a `Delivery` per webhook or Slack subscription that wants the event.
Inserts skip rows that exist (a key seen before, a person told already), so writing the same
notes twice, or from two transactions at once, writes them once. Once the transaction commits,
workers are told (Celery, with a broker); without one, the jobs process finds them on its next poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from accord.accounts.models import User
from accord.core import clock
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
    unique = {n.key: n for n in notes}
    Message.objects.bulk_create(
        [
            Message(
                key=n.key[:200],
                event=n.event.value,
                title=n.title[:300],
                body=n.body,
                link=n.link[:300],
                payload=n.payload,
                created_at=now,
            )
            for n in unique.values()
        ],
        ignore_conflicts=True,
    )
    messages = dict(Message.objects.filter(key__in=[k[:200] for k in unique], created_at=now).values_list("key", "pk"))
    if not messages:
        return []
    wanted = {pk for n in unique.values() if n.key[:200] in messages for pk in n.users}
    people = {u.pk: u.email for u in User.objects.filter(pk__in=wanted, is_active=True).only("pk", "email")}
    subscriptions = list(Subscription.objects.filter(active=True))
    deliveries, inbox = [], []
    for note in unique.values():
        message_id = messages.get(note.key[:200])
        if message_id is None:
            continue
        for user_id in dict.fromkeys(note.users):
            if user_id not in people:
                continue
            inbox.append(Notification(user_id=user_id, message_id=message_id, created_at=now))
            if people[user_id]:
                deliveries.append(
                    Delivery(
                        message_id=message_id,
                        channel=Delivery.Channel.EMAIL,
                        user_id=user_id,
                        address=people[user_id],
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        for subscription in subscriptions:
            if subscription.wants(note.event.value):
                deliveries.append(
                    Delivery(
                        message_id=message_id,
                        channel=subscription.kind,
                        subscription=subscription,
                        address=subscription.url,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    Notification.objects.bulk_create(inbox, ignore_conflicts=True)
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    ids = list(Delivery.objects.filter(message_id__in=messages.values(), created_at=now).values_list("pk", flat=True))
    if ids and not settings.CELERY_TASK_ALWAYS_EAGER:
        from accord.notify import tasks  # the workers' entry point

        transaction.on_commit(lambda: tasks.deliver.delay(delivery_ids=ids))
    return ids
