"""The notification workers' tasks: send given deliveries at once, and whatever else is due."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from accord.notify.deliver import deliver_due as _deliver_due
from accord.notify.digests import digest_send


@shared_task(name="accord.notify.deliver")
def deliver(*, delivery_ids: list[int]) -> dict[str, int]:
    """Send these deliveries now (queued after the commit that wrote them)."""
    return _deliver_due(ids=delivery_ids)


@shared_task(name="accord.notify.deliver_due")
def deliver_due(*, now: str | None = None) -> dict[str, int]:
    """Every few seconds: everything due, including what a lost broker message never asked for.
    `now` (an ISO moment) runs it as of another time."""
    return _deliver_due(now=dt.datetime.fromisoformat(now) if now else None)


@shared_task(name="accord.notify.digest")
def digest(*, now: str | None = None) -> dict[str, int]:
    """Every quarter of an hour: the daily digests whose hour has come."""
    return digest_send(now=dt.datetime.fromisoformat(now) if now else None)
