"""Reads of the SLA: a hand-off's milestones as they stand now, and a team's calendar versions."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from functools import cached_property

from accord.sla import domain
from accord.sla.calendars import in_force
from accord.sla.clocks import minutes
from accord.sla.models import CalendarVersion, Milestone


@dataclass
class Clock:
    """A milestone and where its clock stands at `now`, with the open spans left before it is due
    (for a countdown that runs only while the team works; worked out when asked for)."""

    milestone: Milestone
    used_minutes: int
    remaining_minutes: int
    due_under_todays_calendar: dt.datetime | None
    now: dt.datetime

    def __getattr__(self, name: str) -> object:
        return getattr(self.milestone, name)

    @cached_property
    def spans(self) -> list[tuple[dt.datetime, dt.datetime]]:
        m = self.milestone
        if m.state != Milestone.State.RUNNING or m.due_at is None or m.due_at <= self.now:
            return []
        return list(itertools.islice(domain.spans(m.business_calendar, self.now, m.due_at), 50))


def clocks_of(handoff_ids: list[int], *, now: dt.datetime, open_only: bool = False) -> dict[int, list[Clock]]:
    """Each hand-off's milestones, first touch first, as they stand at `now`."""
    found = Milestone.objects.filter(handoff_id__in=handoff_ids).select_related("calendar", "owner")
    if open_only:
        found = found.filter(state__in=[Milestone.State.RUNNING, Milestone.State.PAUSED])
    rows = list(found.order_by("handoff_id", "pk"))
    today = in_force({m.team_id for m in rows if m.team_id is not None})
    order = {k: n for n, k in enumerate(Milestone.Kind.values)}
    result: dict[int, list[Clock]] = {}
    for milestone in sorted(rows, key=lambda m: (m.handoff_id, order.get(m.kind, 9), m.pk)):
        calendar = milestone.business_calendar
        used = minutes(milestone.used(now))
        remaining = milestone.target_minutes - used
        if milestone.state == Milestone.State.RUNNING and milestone.due_at is not None and now > milestone.due_at:
            remaining = -minutes(domain.elapsed(calendar, milestone.due_at, now))
        current = today.get(milestone.team_id) if milestone.team_id is not None else None
        recomputed = milestone.due_at
        if current is not None and milestone.calendar_id != current.pk and milestone.state == Milestone.State.RUNNING:
            recomputed = domain.add(
                current.calendar, milestone.started_at, dt.timedelta(minutes=milestone.target_minutes)
            )
        result.setdefault(milestone.handoff_id, []).append(Clock(milestone, used, remaining, recomputed, now))
    return result


def calendar_versions(team_id: int) -> list[CalendarVersion]:
    in_force([team_id])
    return list(CalendarVersion.objects.filter(team_id=team_id).select_related("created_by").order_by("-number"))


def at_risk(team_ids: list[int] | None, *, now: dt.datetime, within: dt.timedelta, limit: int = 50) -> list[int]:
    """Open hand-offs of these teams (all, for None) whose clock is breached or falls due within
    `within`: the ones due first first. Their ids."""
    found = Milestone.objects.filter(
        state__in=[Milestone.State.RUNNING, Milestone.State.BREACHED],
        completed_at__isnull=True,
        due_at__lte=now + within,
        handoff__state="open",
    )
    if team_ids is not None:
        found = found.filter(team_id__in=team_ids)
    ids: list[int] = []
    for handoff_id in found.order_by("due_at", "pk").values_list("handoff_id", flat=True)[: limit * 3]:
        if handoff_id not in ids:
            ids.append(handoff_id)
        if len(ids) == limit:
            break
    return ids


def first_touch_minutes(team_ids: list[int] | None, *, since: dt.datetime) -> dict[str, list[int]]:
    """Each rep's business minutes to first touch, for first touches done since `since` (their
    teams', or everyone's for None): {rep's name: minutes}, for the manager's chart."""
    found = Milestone.objects.filter(
        kind=Milestone.Kind.FIRST_TOUCH, completed_at__gte=since, elapsed_minutes__isnull=False, owner__isnull=False
    )
    if team_ids is not None:
        found = found.filter(team_id__in=team_ids)
    by_rep: dict[str, list[int]] = {}
    for name, email, minutes_used in found.values_list("owner__name", "owner__email", "elapsed_minutes"):
        by_rep.setdefault(name or email, []).append(minutes_used or 0)
    return dict(sorted(by_rep.items(), key=lambda item: item[0].lower()))
