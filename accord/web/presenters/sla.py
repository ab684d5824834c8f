"""SLA clocks as the screens show them: the most urgent milestone of each open hand-off as a
chip that counts down in business time (the page's script runs it on the open spans given), and
every milestone of a hand-off for the contact page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from accord.sla.models import Milestone
from accord.sla.queries import Clock, clocks_of

KIND_LABELS = {"first_touch": "First touch", "touches": "Touches", "disposition": "Disposition"}
SOON = 30  # business minutes left under which a clock shows as about to breach


@dataclass(frozen=True)
class Chip:
    kind: str
    label: str  # "First touch"
    state: str  # running, paused, breached, met, cancelled
    level: str  # ok, soon, late, paused, done
    text: str  # "1 h 05 min left", "breached 40 min ago", "paused"
    due: dt.datetime | None
    spans: str  # JSON [[start ms, end ms], …]: the open time left before it is due
    remaining_minutes: int
    target_minutes: int
    used_minutes: int
    done: int
    required: int
    calendar_version: int | None
    due_today: dt.datetime | None  # under the calendar in force today, when that differs


def duration_text(minutes: int) -> str:
    minutes = abs(minutes)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def chip(clock: Clock) -> Chip:
    m: Milestone = clock.milestone
    remaining = clock.remaining_minutes
    if m.state == Milestone.State.PAUSED:
        level, text = "paused", f"paused, {duration_text(remaining)} left"
    elif m.state == Milestone.State.RUNNING and remaining > 0:
        level = "soon" if remaining <= SOON else "ok"
        text = f"{duration_text(remaining)} left"
    elif m.state in (Milestone.State.RUNNING, Milestone.State.BREACHED) and m.completed_at is None:
        level, text = "late", f"breached {duration_text(-remaining)} ago" if remaining < 0 else "breached"
    elif m.state == Milestone.State.MET:
        level, text = "done", f"met in {duration_text(m.elapsed_minutes or 0)}"
    elif m.state == Milestone.State.BREACHED:
        late = (m.elapsed_minutes or 0) - m.target_minutes
        level, text = "late", f"done {duration_text(late)} late"
    else:
        level, text = "done", "closed before it was due"
    spans = json.dumps([[int(a.timestamp() * 1000), int(b.timestamp() * 1000)] for a, b in clock.spans])
    due_today = clock.due_under_todays_calendar if clock.due_under_todays_calendar != m.due_at else None
    return Chip(
        kind=m.kind,
        label=KIND_LABELS.get(m.kind, m.kind),
        state=m.state,
        level=level,
        text=text,
        due=m.due_at,
        spans=spans,
        remaining_minutes=remaining,
        target_minutes=m.target_minutes,
        used_minutes=clock.used_minutes,
        done=m.done,
        required=m.required,
        calendar_version=m.calendar.number if m.calendar else None,
        due_today=due_today,
    )


_URGENCY = {"late": 0, "soon": 1, "ok": 2, "paused": 3, "done": 4}


def most_urgent(handoff_ids: Iterable[int], *, now: dt.datetime) -> dict[int, Chip]:
    """For each hand-off, the milestone to look at first: breached, then the one due soonest."""
    found = clocks_of(list(handoff_ids), now=now)
    urgent = {}
    for handoff_id, clocks in found.items():
        chips = [chip(c) for c in clocks if c.milestone.completed_at is None and c.state != Milestone.State.CANCELLED]
        if chips:
            urgent[handoff_id] = min(chips, key=lambda c: (_URGENCY[c.level], c.remaining_minutes))
    return urgent


def all_chips(handoff_id: int, *, now: dt.datetime) -> list[Chip]:
    return [chip(c) for c in clocks_of([handoff_id], now=now).get(handoff_id, [])]
