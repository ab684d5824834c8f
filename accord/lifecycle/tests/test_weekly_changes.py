"""The overview's stage changes by week: for any changes and any time zone, `weekly_changes` (which
buckets by comparing times with the weeks' first instants) counts what the rule says — a change
belongs to the Monday-first week of its day in the current time zone, within the last 30 days."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contacts.models import Contact
from accord.lifecycle.domain import MoveKind
from accord.lifecycle.models import StageChange
from accord.lifecycle.queries import Week, weekly_changes
from accord.playbook.queries import active_playbook

pytestmark = pytest.mark.django_db

# Zones a quarter hour off, far ahead or behind, and ones whose clocks change at midnight.
ZONES = ["UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati", "America/Santiago", "Asia/Beirut"]
# A Wednesday; the mornings after New York, Santiago and Beirut change their clocks.
NOWS = [
    dt.datetime(2026, 11, 4, 15, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 2, 4, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 4, 6, 3, 59, 59, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 30, 0, 0, tzinfo=dt.UTC),
]
KINDS = [MoveKind.ADVANCE, MoveKind.HAND_BACK, MoveKind.IMPORTED]


def expected(changes: list[tuple[dt.datetime, str]], now: dt.datetime, zone: dt.tzinfo) -> list[Week]:
    since = now - dt.timedelta(days=30)
    counts: dict[tuple[dt.date, str], int] = {}
    for at, kind in changes:
        if since <= at <= now:
            day = at.astimezone(zone).date()
            monday = day - dt.timedelta(days=day.weekday())
            counts[(monday, kind)] = counts.get((monday, kind), 0) + 1
    first = since.date() - dt.timedelta(days=since.weekday())
    starts = [first + dt.timedelta(days=7 * n) for n in range((now.date() - first).days // 7 + 1)]
    return [Week(s, counts.get((s, MoveKind.ADVANCE), 0), counts.get((s, MoveKind.HAND_BACK), 0)) for s in starts]


def around_mondays(now: dt.datetime, zone: dt.tzinfo) -> list[dt.datetime]:
    """The first instant of every local Monday near the window, and a microsecond either side."""
    day = (now - dt.timedelta(days=38)).astimezone(zone).date()
    found = []
    while day <= now.astimezone(zone).date() + dt.timedelta(days=1):
        if day.weekday() == 0:
            first = dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
            found += [first - dt.timedelta(microseconds=1), first, first + dt.timedelta(microseconds=1)]
        day += dt.timedelta(days=1)
    return found


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), zone_name=st.sampled_from(ZONES), now=st.sampled_from(NOWS))
def test_weekly_changes_count_each_change_in_the_week_of_its_local_day(
    db: Any, data: Any, zone_name: str, now: dt.datetime
) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    edges = [now, now + dt.timedelta(microseconds=1), now - dt.timedelta(days=30), *around_mondays(now, zone)]
    moment = st.one_of(
        st.sampled_from(edges),
        st.integers(-32 * 86_400, 86_400).map(lambda seconds: now + dt.timedelta(seconds=seconds)),
    )
    changes = data.draw(st.lists(st.tuples(moment, st.sampled_from(KINDS)), max_size=12))
    with transaction.atomic():
        contact = Contact.objects.create(email="weeks@acme.test")
        version = active_playbook()
        StageChange.objects.bulk_create(
            StageChange(contact=contact, at=at, from_stage="lead", to_stage="mql", kind=kind, playbook_version=version)
            for at, kind in changes
        )
        with timezone.override(zone):
            found = weekly_changes(now=now)
        transaction.set_rollback(True)

    assert found == expected(changes, now, zone)
