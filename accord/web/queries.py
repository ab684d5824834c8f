"""Reads the screens need that no app offers: counts by stage, recent moves, a contact's timeline,
the live activity feed; the overview's charts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Max, Q, QuerySet, Value, When
from django.db.models.functions import Lower, TruncMinute

from accord.accounts.models import ApiKey, Team, User
from accord.campaigns.models import Campaign
from accord.contacts.models import Account, Contact
from accord.contacts.queries import account_list
from accord.lifecycle.models import StageChange
from accord.lifecycle.queries import Week
from accord.playbook.domain.document import Playbook, StageKind
from accord.tracking.domain import FORM_SUBMITTED
from accord.tracking.models import Event
from accord.web.presenters import EventRow, HistoryRow, StageLabel, event_row, history_rows, stage_label, stage_labels


@dataclass(frozen=True)
class StageCount:
    label: StageLabel
    count: int
    funnel: bool  # a funnel stage (not recycled, disqualified, unknown or no stage)


def stage_counts(playbook: Playbook, contacts: QuerySet[Contact]) -> list[StageCount]:
    """How many of `contacts` are in each stage, in the playbook's order; then unknown keys; then no stage."""
    found = {row["stage"]: row["n"] for row in contacts.order_by().values("stage").annotate(n=Count("id"))}
    labels = stage_labels(playbook)
    counts = [
        StageCount(labels[s.key], found.pop(s.key, 0), s.kind is StageKind.FUNNEL) for s in playbook.stages
    ]
    none = found.pop("", 0)
    counts += [StageCount(stage_label(labels, key), n, False) for key, n in sorted(found.items())]
    counts.append(StageCount(stage_label(labels, ""), none, False))
    return counts


def funnel_chart(counts: list[StageCount]) -> dict[str, Any]:
    """A Plotly figure: one horizontal bar per funnel stage, top of the funnel first."""
    funnel = [c for c in counts if c.funnel]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [c.label.name for c in funnel],
                "x": [c.count for c in funnel],
                "text": [str(c.count) for c in funnel],
                "textposition": "auto",
                "marker": {"color": "#3454d1"},
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 110, "r": 16, "t": 8, "b": 32},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "xaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec"},
            "height": max(220, 40 * len(funnel) + 60),
            "bargap": 0.25,
        },
    }


def weekly_chart(weeks: list[Week]) -> dict[str, Any]:
    x = [f"{w.start:%d %b}" for w in weeks]
    return {
        "data": [
            {"type": "bar", "name": "Forward", "x": x, "y": [w.advance for w in weeks], "marker": {"color": "#3454d1"}},
            {
                "type": "bar", "name": "Hand-back", "x": x, "y": [w.hand_back for w in weeks],
                "marker": {"color": "#d9822b"},
            },
        ],
        "layout": {
            "barmode": "stack",
            "margin": {"l": 36, "r": 8, "t": 8, "b": 40},
            "height": 220,
            "legend": {"orientation": "h", "y": -0.25},
            "xaxis": {"title": {"text": ""}, "type": "category"},
            "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec", "dtick": None},
        },
    }


def recent_changes(limit: int = 10) -> QuerySet[StageChange]:
    return StageChange.objects.select_related("contact", "by_user", "playbook_version").order_by("-at", "-id")[:limit]


def owners() -> QuerySet[User]:
    """The people a contact can belong to, for filters."""
    return User.objects.filter(is_active=True).order_by("name", "email")


def owner_choices(keep: int | None = None) -> list[User]:
    """Whom a contact or an account can be given to: the active users, and the one it belongs to
    now even when they are no longer active (so that leaving the choice as it is changes nothing)."""
    users = list(owners())
    if keep is not None and all(user.pk != keep for user in users):
        users += list(User.objects.filter(pk=keep))
    return users


def account_picks(query: str, *, keep: int | None = None, limit: int = 8) -> list[Account]:
    """The accounts the contact form offers for `query`: names or domains that hold it, an exact
    name first; and the account already chosen (`keep`) even when the words no longer find it."""
    found: list[Account] = []
    if query:
        exact_first = Case(When(name__iexact=query, then=Value(0)), default=Value(1))
        found = list(account_list(search=query).alias(exact=exact_first).order_by("exact", Lower("name"), "pk")[:limit])
    if keep is not None and all(account.pk != keep for account in found):
        found = list(Account.objects.filter(pk=keep)) + found
    return found


def industries(limit: int = 200) -> list[str]:
    """The industries accounts already have, for the account form to suggest."""
    rows = Account.objects.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct()
    return list(rows[:limit])


def accounts_with_counts(accounts: QuerySet[Account]) -> QuerySet[Account]:
    return accounts.annotate(contact_count=Count("contacts")).order_by("name", "pk")


def account_contacts(account: Account) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account).select_related("owner").order_by("last_name", "first_name", "id")


def users_with_teams() -> QuerySet[User]:
    return User.objects.prefetch_related("teams").order_by("email")


def teams_with_members() -> QuerySet[Team]:
    return Team.objects.select_related("manager").prefetch_related("members").order_by("name")


def users_with_two_factor() -> set[int]:
    """The ids of users who sign in with a second step."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at", "-id")


# --------------------------------------------------------------------------- a contact's timeline

TIMELINE_PAGE = 50
CURSOR = re.compile(r"^([es])([1-9][0-9]{0,18})$")  # e<event id> or s<stage change id>


@dataclass(frozen=True)
class TimelinePage:
    items: list[EventRow | HistoryRow]  # newest first
    next_cursor: str  # the last item's key, to ask for older ones; "" when there are none


def contact_timeline(contact: Contact, *, cursor: str = "", limit: int = TIMELINE_PAGE) -> TimelinePage:
    """The contact's events and stage changes in one list, newest first, `limit` at a time.

    Items are ordered by time, a stage change before an event of the same instant (it follows
    the event that caused it), then by id; `cursor` is the key of the last item already shown.
    Each list reads from its (contact, time) index, at most `limit + 1` rows.
    """
    events = Event.objects.filter(contact=contact).select_related("campaign").defer("context")
    changes = StageChange.objects.filter(contact=contact).select_related("by_user", "playbook_version")
    match = CURSOR.match(cursor)
    if match:
        kind, pk = match.group(1), int(match.group(2))
        if kind == "e":
            at = Event.objects.filter(pk=pk, contact=contact).values_list("timestamp", flat=True).first()
            if at is None:
                return TimelinePage([], "")
            events = events.filter(Q(timestamp__lt=at) | Q(timestamp=at, id__lt=pk))
            changes = changes.filter(at__lt=at)
        else:
            at = StageChange.objects.filter(pk=pk, contact=contact).values_list("at", flat=True).first()
            if at is None:
                return TimelinePage([], "")
            events = events.filter(timestamp__lte=at)
            changes = changes.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
    found_events = list(events.order_by("-timestamp", "-id")[: limit + 1])
    found_changes = list(changes.order_by("-at", "-id")[: limit + 1])
    browser_keys = browser_key_prefixes()
    items: list[EventRow | HistoryRow] = [event_row(e, browser_keys=browser_keys) for e in found_events]
    items += history_rows(found_changes)
    items.sort(key=lambda item: (item.at, item.is_stage, int(item.key[1:])), reverse=True)
    more = len(items) > limit
    items = items[:limit]
    return TimelinePage(items, items[-1].key if more and items else "")


def browser_key_prefixes() -> frozenset[str]:
    """The prefixes of every browser key (revoked ones too: their events stay what they were)."""
    return frozenset(prefix for prefix, scopes in ApiKey.objects.values_list("prefix", "scopes") if "browser" in scopes)


def campaign_names(utm_values: Iterable[str]) -> dict[str, str]:
    """Campaign names by lower-case utm_campaign, for the values given."""
    wanted = {v.lower() for v in utm_values if v}
    if not wanted:
        return {}
    rows = Campaign.objects.filter(utm_campaign__in=wanted).values_list("utm_campaign", "name")
    return {utm.lower(): name for utm, name in rows}


# --------------------------------------------------------------------------- the live activity feed

ACTIVITY_LIMIT = 100
ACTIVITY_TYPES = {"page": "Page views", "track": "Tracked events", "identify": "Identifies"}


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
        *EVENT_COLUMNS, "contact__first_name", "contact__last_name", "contact__email", "campaign__name"
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


# What the feed shows of an event (not its context, which can be large).
EVENT_COLUMNS = (
    "id", "type", "name", "user_id", "anonymous_id", "contact_id", "timestamp", "url", "path", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "campaign_id", "offer", "properties",
)


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


def newest_event_id() -> int:
    return Event.objects.aggregate(n=Max("id"))["n"] or 0


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


def minutes_chart(minutes: list[Minute]) -> dict[str, Any]:
    """A Plotly figure: events per minute as small bars."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [f"{m.start:%H:%M}" for m in minutes],
                "y": [m.count for m in minutes],
                "marker": {"color": "#3454d1"},
                "hovertemplate": "%{x}: %{y} events<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 32, "r": 8, "t": 8, "b": 32},
            "height": 160,
            "bargap": 0.15,
            "xaxis": {"type": "category", "nticks": 7, "tickangle": 0},
            "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec", "tickformat": "d"},
        },
    }
