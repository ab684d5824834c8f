"""Daily digests: the notifications a person chose to hear of in a digest, gathered into one
email a day, sent from the digest hour in their own time zone.

Each digest is a `Message` keyed by the person and their local day, so however often the job runs,
and however many run at once, a person gets at most one digest a day; what arrives after it waits
for the next. Only what is still unread goes in: what the person has already read in Accord is
marked done without being emailed again.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from accord.accounts.domain import zone_or_utc
from accord.accounts.models import User
from accord.core import clock
from accord.notify.domain import DIGEST, DIGEST_MOST, digest_due, digest_key, digest_text
from accord.notify.models import Delivery, Message, Notification


def digest_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send each waiting person's digest whose hour has come; counts of digests sent and of people
    still waiting for their hour."""
    now = now or clock.now()
    counts = {"sent": 0, "waiting": 0}
    waiting = Notification.objects.filter(awaits_digest=True).values("user_id")
    for user in User.objects.filter(pk__in=waiting).order_by("pk"):
        local = now.astimezone(zone_or_utc(user.time_zone))
        if not digest_due(local.hour, settings.ACCORD_DIGEST_HOUR):
            counts["waiting"] += 1
            continue
        counts["sent"] += _digest_one(user, day=local.date(), now=now)
    return counts


def _when(at: dt.datetime) -> str:
    return f"{at:%a} {at.day} {at:%b, %H:%M}"


def _digest_one(user: User, *, day: dt.date, now: dt.datetime) -> int:
    """Write one person's digest for `day`, if none was written for it; 1 if one was."""
    zone = zone_or_utc(user.time_zone)
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(user=user, awaits_digest=True)
            .select_related("message")
            .order_by("created_at", "pk")
        )
        if not pending:
            return 0
        unread = [n for n in pending if n.read_at is None]
        if not unread or not user.is_active or not user.email:
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(awaits_digest=False)
            return 0
        items = [(n.message.title, _when(n.created_at.astimezone(zone)), n.message.link) for n in unread[:DIGEST_MOST]]
        size = len(unread)
        message, created = Message.objects.get_or_create(
            key=digest_key(user.pk, day.isoformat()),
            defaults={
                "event": DIGEST,
                "title": f"Your Accord digest: {size} notification{'s' if size != 1 else ''}",
                "body": digest_text(items, base_url=settings.ACCORD_BASE_URL, more=size - len(items)),
                "link": "/notifications/",
                "payload": {"notifications": [n.pk for n in unread]},
                "created_at": now,
            },
        )
        if not created:
            return 0  # today's digest went already: these wait for tomorrow's
        delivery = Delivery.objects.create(
            message=message,
            channel=Delivery.Channel.EMAIL,
            user=user,
            address=user.email,
            next_attempt_at=now,
            created_at=now,
        )
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(awaits_digest=False, digest=message)
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            from accord.notify import tasks  # the workers' entry point

            transaction.on_commit(lambda: tasks.deliver.delay(delivery_ids=[delivery.pk]))
    return 1
