"""Reads the screens need that no app offers: counts by stage, weekly moves, recent moves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncWeek

from accord.accounts.models import ApiKey, Team, User
from accord.contacts.models import Account, Contact
from accord.lifecycle.domain import MoveKind
from accord.lifecycle.models import StageChange
from accord.playbook.domain.document import Playbook, StageKind
from accord.web.presenters import StageLabel, stage_label, stage_labels


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


@dataclass(frozen=True)
class Week:
    start: dt.date
    advance: int
    hand_back: int

    @property
    def total(self) -> int:
        return self.advance + self.hand_back


def weekly_changes(*, now: dt.datetime, days: int = 30) -> list[Week]:
    """Stage changes of the last `days` days, by week (Monday first), forward moves and hand-backs apart."""
    since = now - dt.timedelta(days=days)
    rows = (
        StageChange.objects.filter(at__gte=since, at__lte=now)
        .annotate(week=TruncWeek("at"))
        .order_by()
        .values("week", "kind")
        .annotate(n=Count("id"))
    )
    found: dict[tuple[dt.date, str], int] = {}
    for row in rows:
        week = row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"]
        found[(week, row["kind"])] = found.get((week, row["kind"]), 0) + row["n"]
    first = since.date() - dt.timedelta(days=since.weekday())
    weeks = []
    start = first
    while start <= now.date():
        weeks.append(Week(start, found.get((start, MoveKind.ADVANCE), 0), found.get((start, MoveKind.HAND_BACK), 0)))
        start += dt.timedelta(days=7)
    return weeks


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


def accounts_with_counts(accounts: QuerySet[Account]) -> QuerySet[Account]:
    return accounts.annotate(contact_count=Count("contacts")).order_by("name", "pk")


def account_contacts(account: Account) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account).select_related("owner").order_by("last_name", "first_name", "id")


def users_with_teams() -> QuerySet[User]:
    return User.objects.prefetch_related("teams").order_by("email")


def teams_with_members() -> QuerySet[Team]:
    return Team.objects.select_related("manager").prefetch_related("members").order_by("name")


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at", "-id")
