"""Background work of tracking. Tasks are idempotent."""

from __future__ import annotations

from celery import shared_task

from accord.tracking.retention import events_expire


@shared_task(name="accord.tracking.retention")
def retention() -> int:
    """Once a day: delete raw events older than ACCORD_EVENT_RETENTION_DAYS (when it is set)."""
    return events_expire()
