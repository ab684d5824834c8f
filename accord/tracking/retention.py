"""Raw events are kept ACCORD_EVENT_RETENTION_DAYS days (unset: for ever); a daily job deletes the
older ones in chunks, so the table is never locked for long. What the events made is kept: contacts'
first and last touch, offers, stage history and score history. A rescore afterwards works from the
events that are left, so keep events at least as long as the playbook's interest lasts."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from accord.core import clock
from accord.tracking.models import Event

CHUNK = 10_000


def events_expire(*, now: dt.datetime | None = None, days: int | None = None, chunk: int = CHUNK) -> int:
    """Delete events that happened more than `days` (default the setting) days before `now`; how many."""
    days = days if days is not None else settings.ACCORD_EVENT_RETENTION_DAYS
    if days is None:
        return 0
    before = (now or clock.now()) - dt.timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(Event.objects.filter(timestamp__lt=before).order_by("pk").values_list("pk", flat=True)[:chunk])
            if not ids:
                return deleted
            deleted += Event.objects.filter(pk__in=ids).delete()[0]
