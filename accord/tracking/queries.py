"""Reads of the event store: the live feed's newest events, a page of a contact's events for its
timeline, how many events happened lately and of which kinds, and events per minute."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncMinute

from accord.contacts.models import Contact
from accord.tracking.domain import FORM_SUBMITTED
from accord.tracking.models import Event

# --------------------------------------------------------------------------- a contact's events


def contact_events_page(
    contact: Contact,
    *,
    before: dt.datetime | None = None,
    before_id: int | None = None,
    through: dt.datetime | None = None,
    limit: int,
) -> list[Event]:
    """The contact's events newest first (by time, then id), at most `limit`, with their campaign
    and without their context: with `before`, only those before that instant, and with `before_id`
    too, those of that very instant whose id is lower; with `through`, those up to that instant
    included. Reads the (contact, time) index."""
    events = Event.objects.filter(contact=contact).select_related("campaign").defer("context")
    if before is not None:
        older = Q(timestamp__lt=before)
        if before_id is not None:
            older |= Q(timestamp=before, id__lt=before_id)
        events = events.filter(older)
    if through is not None:
        events = events.filter(timestamp__lte=through)
    return list(events.order_by("-timestamp", "-id")[:limit])


def event_time(contact: Contact, pk: int) -> dt.datetime | None:
    """When the contact's event `pk` happened; None when it has no such event."""
    return Event.objects.filter(pk=pk, contact=contact).values_list("timestamp", flat=True).first()


# --------------------------------------------------------------------------- the live activity feed

ACTIVITY_LIMIT = 100

# What the feed shows of an event (not its context, which can be large).
EVENT_COLUMNS = (
    "id", "type", "name", "user_id", "anonymous_id", "contact_id", "timestamp", "url", "path", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "campaign_id", "offer", "properties", "sent_with",
)
# What it shows of the sender: the contact's name as `str(contact)` writes it.
CONTACT_COLUMNS = ("contact__first_name", "contact__last_name", "contact__email", "contact__erased_at")


def recent_events(
    *, kind: str = "", forms_only: bool = False, after: int | None = None, upto: int | None = None,
    limit: int = ACTIVITY_LIMIT,
) -> list[Event]:
    """The newest events across everyone, newest first (by id, the order they were stored in):
    at most `limit`, only those with an id above `after` and up to `upto` when given."""
    return list(recent_events_query(kind=kind, forms_only=forms_only, after=after, upto=upto, limit=limit))


def recent_events_query(
    *, kind: str = "", forms_only: bool = False, after: int | None = None, upto: int | None = None,
    limit: int = ACTIVITY_LIMIT,
) -> QuerySet[Event]:
    """`recent_events` as a query. It walks the primary key backwards and stops at `limit`
    (no sort), so it costs the same with a hundred events or millions; the contact and the
    campaign come by their primary keys."""
    events = Event.objects.select_related("contact", "campaign").only(
        *EVENT_COLUMNS, *CONTACT_COLUMNS, "campaign__name"
    )
    if kind:
        events = events.filter(type=kind)
    if forms_only:
        events = events.filter(type="track", name=FORM_SUBMITTED)
    if after is not None:
        events = events.filter(id__gt=after)
    if upto is not None:
        events = events.filter(id__lte=upto)
    return events.order_by("-id")[:limit]


def newest_event_id() -> int:
    return Event.objects.aggregate(n=Max("id"))["n"] or 0


@dataclass(frozen=True)
class Tally:
    """How many events happened in a period, and of which kinds."""

    total: int
    pages: int
    forms: int
    emails: int

    @property
    def other(self) -> int:
        return self.total - self.pages - self.forms - self.emails


def events_since(since: dt.datetime, now: dt.datetime) -> Tally:
    """The events that happened after `since`, up to `now`, counted by kind."""
    rows = (
        Event.objects.filter(timestamp__gt=since, timestamp__lte=now)
        .order_by()
        .values("type", "name")
        .annotate(n=Count("id"))
    )
    total = pages = forms = emails = 0
    for row in rows:
        total += row["n"]
        if row["type"] == "page":
            pages += row["n"]
        elif row["type"] == "track" and row["name"] == FORM_SUBMITTED:
            forms += row["n"]
        elif row["type"] == "track" and row["name"].startswith("Email "):
            emails += row["n"]
    return Tally(total, pages, forms, emails)


@dataclass(frozen=True)
class Minute:
    start: dt.datetime
    count: int


def events_per_minute(*, now: dt.datetime, minutes: int = 60) -> list[Minute]:
    """Events that happened in each of the last `minutes` minutes, oldest first, the current one last."""
    end = now.replace(second=0, microsecond=0)
    since = end - dt.timedelta(minutes=minutes - 1)
    rows = (
        Event.objects.filter(timestamp__gte=since, timestamp__lte=now)
        .annotate(minute=TruncMinute("timestamp", tzinfo=dt.UTC))
        .order_by()
        .values("minute")
        .annotate(n=Count("id"))
    )
    found = {row["minute"].astimezone(dt.UTC): row["n"] for row in rows}
    return [Minute(since + dt.timedelta(minutes=i), found.get(since + dt.timedelta(minutes=i), 0))
            for i in range(minutes)]
