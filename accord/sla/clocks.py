"""The SLA clocks of hand-offs, in the style of case milestones.

A hand-off gets its milestones when it is routed: a first touch within the playbook's hours for
its priority, K touches within D business days, a disposition within E business days, each under
its team's calendar in force. A touch completes the first one and counts towards the second; the
hand-off's close completes the disposition and cancels what is still running. A reassignment
continues the clocks for the new owner or restarts them, as the playbook says. People may pause
a hand-off's clocks and resume them. The sweep (`sla.sweep`) reminds and breaches.

Every function here runs inside its caller's transaction and takes hand-offs as rows it does not
import (the stage machine sits above): anything with `pk`, `team_id`, `owner_id` and `priority`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol

from accord.playbook.domain.sla import OnReassign, SalesTerms
from accord.sla import domain
from accord.sla.calendars import in_force
from accord.sla.events import sla_event
from accord.sla.models import CalendarVersion, Milestone, SlaEvent

Kind, State = Milestone.Kind, Milestone.State
ACTIVE = (State.RUNNING, State.PAUSED)  # a clock that is still going (or waiting to)
UNDONE = (State.RUNNING, State.PAUSED, State.BREACHED)  # not completed yet (a breach can still be done, late)


class HandoffLike(Protocol):
    pk: int
    team_id: int | None
    owner_id: int | None
    priority: str


def minutes(duration: dt.timedelta) -> int:
    """Whole business minutes, rounded down (never below 0)."""
    return max(0, int(duration.total_seconds() // 60))


def targets(
    terms: SalesTerms, priority: str, calendar: domain.Calendar, start: dt.datetime
) -> list[tuple[str, int, int, dt.datetime | None]]:
    """(kind, target business minutes, touches required, due) for a hand-off starting at `start`."""
    first = round(terms.first_contact(priority) * 60)
    found: list[tuple[str, int, int, dt.datetime | None]] = [
        (Kind.FIRST_TOUCH, first, 1, domain.add(calendar, start, dt.timedelta(minutes=first)))
    ]
    for kind, days, required in (
        (Kind.TOUCHES, terms.attempt_window_days if terms.min_attempts else None, terms.min_attempts or 0),
        (Kind.DISPOSITION, terms.disposition_days, 1),
    ):
        if days:
            due = domain.add_days(calendar, start, days)
            target = minutes(domain.elapsed(calendar, start, due)) if due is not None else 0
            found.append((kind, target, required, due))
    return found


def schedule(milestone: Milestone, calendar: domain.Calendar, *, now: dt.datetime) -> None:
    """Set `due_at` and `remind_at` of a running milestone from where its clock stands."""
    if milestone.state != State.RUNNING or milestone.segment_started_at is None:
        milestone.due_at = milestone.remind_at = None
        return
    start = milestone.segment_started_at
    left = dt.timedelta(minutes=milestone.target_minutes - milestone.used_minutes)
    milestone.due_at = domain.add(calendar, start, left) if left > dt.timedelta() else start
    milestone.remind_at = None
    lead = dt.timedelta(minutes=milestone.remind_minutes)
    if milestone.reminded_at is None and lead and milestone.remind_minutes < milestone.target_minutes:
        before = left - lead
        milestone.remind_at = domain.add(calendar, start, before) if before > dt.timedelta() else max(start, now)


def start(
    handoffs: Sequence[HandoffLike],
    *,
    terms: SalesTerms,
    now: dt.datetime,
    kinds: Iterable[str] | None = None,
    by_user_id: int | None = None,
    restarted: bool = False,
) -> list[Milestone]:
    """Start the milestones of newly routed hand-offs (only `kinds`, when given)."""
    if not handoffs:
        return []
    calendars = in_force((h.team_id for h in handoffs if h.team_id is not None), at=now)
    wanted = set(kinds) if kinds is not None else None
    remind = round((terms.remind_before_hours or 0) * 60)
    rows = []
    for handoff in handoffs:
        version = calendars.get(handoff.team_id) if handoff.team_id is not None else None
        calendar = _calendar(version)
        for kind, target, required, due in targets(terms, handoff.priority, calendar, now):
            if wanted is not None and kind not in wanted:
                continue
            milestone = Milestone(
                handoff_id=handoff.pk,
                kind=kind,
                calendar=version,
                owner_id=handoff.owner_id,
                team_id=handoff.team_id,
                priority=handoff.priority,
                started_at=now,
                segment_started_at=now,
                target_minutes=target,
                required=required,
                remind_minutes=remind if kind == Kind.FIRST_TOUCH else 0,
            )
            schedule(milestone, calendar, now=now)
            if due is not None and milestone.due_at != due:  # whole days end at closing, not N minutes on
                milestone.due_at = due
            rows.append(milestone)
    Milestone.objects.bulk_create(rows)
    kind_of = SlaEvent.Kind.RESTARTED if restarted else SlaEvent.Kind.STARTED
    SlaEvent.objects.bulk_create([sla_event(m, kind_of, at=now, by_user_id=by_user_id, details=_due(m)) for m in rows])
    return rows


def touched(handoff_id: int, *, touches: int, at: dt.datetime, now: dt.datetime, by_user_id: int | None) -> None:
    """A touch was logged at `at` (the hand-off has `touches` now)."""
    found = _locked(handoff_id, kinds=(Kind.FIRST_TOUCH, Kind.TOUCHES), states=UNDONE)
    changed, rows = [], []
    for milestone in found:
        if milestone.kind == Kind.TOUCHES:
            milestone.done = touches
            changed.append(milestone)
            if touches < milestone.required:
                continue
        rows += _complete(milestone, at=at, now=now, by_user_id=by_user_id)
        if milestone not in changed:
            changed.append(milestone)
    _save(changed, rows)


def closed(handoff_ids: Sequence[int], *, at: dt.datetime, by_user_id: int | None) -> None:
    """The hand-offs closed (accepted, rejected, recycled or closed otherwise) at `at`: their
    disposition is done; first-touch and touch clocks still going are cancelled."""
    if not handoff_ids:
        return
    found = _locked(handoff_ids, kinds=None, states=UNDONE)
    rows: list[SlaEvent] = []
    for milestone in found:
        if milestone.kind == Kind.DISPOSITION:
            rows += _complete(milestone, at=at, now=at, by_user_id=by_user_id)
        else:
            rows += _breach_if_due(milestone, now=at)
            milestone.elapsed_minutes = minutes(milestone.used(at))  # its clock stops with the hand-off
            if milestone.state in ACTIVE:  # breached ones stay breached, never done
                milestone.state, milestone.due_at, milestone.remind_at = State.CANCELLED, None, None
                rows.append(sla_event(milestone, SlaEvent.Kind.CANCELLED, at=at, by_user_id=by_user_id))
    _save(found, rows)


def reassigned(handoff: HandoffLike, *, terms: SalesTerms, at: dt.datetime, by_user_id: int | None) -> None:
    """The hand-off has a new owner (and perhaps team): its clocks go on for them, or restart."""
    found = _locked(handoff.pk, kinds=None, states=UNDONE)
    if terms.on_reassign is OnReassign.RESTART:
        rows = []
        for milestone in found:
            milestone.elapsed_minutes = minutes(milestone.used(at))
            if milestone.state in ACTIVE:
                milestone.state = State.CANCELLED
            milestone.due_at = milestone.remind_at = None
            rows.append(sla_event(milestone, SlaEvent.Kind.CANCELLED, at=at, by_user_id=by_user_id,
                                  details={"restarted": True}))  # fmt: skip
        _save(found, rows)
        start([handoff], terms=terms, now=at, kinds={m.kind for m in found}, by_user_id=by_user_id, restarted=True)
        return
    version = in_force([handoff.team_id]).get(handoff.team_id) if handoff.team_id is not None else None
    rows = []
    for milestone in found:
        details = {"from_owner": milestone.owner_id, "to_owner": handoff.owner_id}
        if milestone.team_id != handoff.team_id and milestone.state == State.RUNNING:
            milestone.used_minutes = minutes(milestone.used(at))
            milestone.segment_started_at = at
            milestone.calendar = version
            schedule(milestone, _calendar(version), now=at)
        if milestone.state in ACTIVE:  # a breach stays with whoever held the hand-off when it fell due
            milestone.owner_id, milestone.team_id = handoff.owner_id, handoff.team_id
        rows.append(sla_event(milestone, SlaEvent.Kind.REASSIGNED, at=at, by_user_id=by_user_id, details=details))
    _save(found, rows)


def pause(handoff_id: int, *, at: dt.datetime, by_user_id: int | None, reason: str) -> int:
    """Stop the hand-off's running clocks until they are resumed; how many were running."""
    found = _locked(handoff_id, kinds=None, states=(State.RUNNING,))
    rows = []
    for milestone in found:
        rows += _breach_if_due(milestone, now=at)
        if milestone.state != State.RUNNING:
            continue
        milestone.used_minutes = minutes(milestone.used(at))
        milestone.state, milestone.paused_at = State.PAUSED, at
        milestone.due_at = milestone.remind_at = None
        rows.append(
            sla_event(milestone, SlaEvent.Kind.PAUSED, at=at, by_user_id=by_user_id, details={"reason": reason})
        )
    _save(found, rows)
    return sum(1 for m in found if m.state == State.PAUSED)


def resume(handoff_id: int, *, at: dt.datetime, by_user_id: int | None) -> int:
    """Start the hand-off's paused clocks again from `at`; how many there were."""
    found = _locked(handoff_id, kinds=None, states=(State.PAUSED,))
    rows = []
    for milestone in found:
        paused = milestone.paused_at
        milestone.state, milestone.paused_at, milestone.segment_started_at = State.RUNNING, None, at
        schedule(milestone, milestone.business_calendar, now=at)
        details = {"paused_minutes": minutes(at - paused) if paused else 0, **_due(milestone)}
        rows.append(sla_event(milestone, SlaEvent.Kind.RESUMED, at=at, by_user_id=by_user_id, details=details))
    _save(found, rows)
    return len(found)


# --------------------------------------------------------------------------- shared steps


def _calendar(version: CalendarVersion | None) -> domain.Calendar:
    return version.calendar if version is not None else domain.Calendar.always()


def _due(milestone: Milestone) -> dict[str, object]:
    return {
        "target_minutes": milestone.target_minutes,
        "due_at": milestone.due_at.isoformat() if milestone.due_at else None,
    }


def _locked(handoff_ids: int | Sequence[int], *, kinds: Sequence[str] | None, states: Sequence[str]) -> list[Milestone]:
    ids = [handoff_ids] if isinstance(handoff_ids, int) else list(handoff_ids)
    query = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("calendar")
        .filter(handoff_id__in=ids, state__in=states)
    )
    if kinds is not None:
        query = query.filter(kind__in=kinds)
    return list(query.order_by("pk"))


def _breach_if_due(milestone: Milestone, *, now: dt.datetime) -> list[SlaEvent]:
    """A running milestone whose due moment has passed is breached (as of that moment)."""
    if milestone.state == State.RUNNING and milestone.due_at is not None and milestone.due_at < now:
        milestone.state, milestone.breached_at = State.BREACHED, milestone.due_at
        return [sla_event(milestone, SlaEvent.Kind.BREACHED, at=milestone.due_at)]
    return []


def _complete(milestone: Milestone, *, at: dt.datetime, now: dt.datetime, by_user_id: int | None) -> list[SlaEvent]:
    """Done at `at`: met when by its due moment, else breached (and completed late)."""
    rows = _breach_if_due(milestone, now=at)
    when = max(at, milestone.started_at)
    milestone.elapsed_minutes = minutes(milestone.used(when))
    milestone.completed_at = when
    milestone.remind_at = None
    if milestone.state == State.BREACHED:
        late = {"late_minutes": milestone.elapsed_minutes - milestone.target_minutes}
        rows.append(sla_event(milestone, SlaEvent.Kind.COMPLETED, at=when, by_user_id=by_user_id, details=late))
    else:
        milestone.state = State.MET
        rows.append(sla_event(milestone, SlaEvent.Kind.MET, at=when, by_user_id=by_user_id,
                              details={"elapsed_minutes": milestone.elapsed_minutes}))  # fmt: skip
    return rows


_FIELDS = [
    "state", "owner", "team", "calendar", "done", "segment_started_at", "used_minutes", "due_at", "remind_at",
    "paused_at", "completed_at", "breached_at", "elapsed_minutes",
]  # fmt: skip


def _save(milestones: Sequence[Milestone], rows: Sequence[SlaEvent]) -> None:
    if milestones:
        Milestone.objects.bulk_update(milestones, _FIELDS)
    if rows:
        SlaEvent.objects.bulk_create(rows)
