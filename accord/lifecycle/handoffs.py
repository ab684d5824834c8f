"""Hand-offs as the stage machine writes them: opened and routed when a contact enters the MQL
stage, closed when it leaves it — in the transaction of the move (ADR 0016), so a contact is
never an MQL without its hand-off.

Routing reads the teams (locked, all of them in id order, so concurrent moves route one after
another and a rep's capacity is never overrun by two at once) and each member's counts, then
routes the moved contacts one by one, counting each assignment before the next, so a batch of
MQLs is spread as a run of single moves would spread it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, Max, Q

from accord.accounts.models import Membership, Team, User
from accord.contacts.models import Contact
from accord.contacts.queries import contact_facts
from accord.lifecycle import events, routing
from accord.lifecycle.models import Handoff, HandoffChange, StageChange
from accord.playbook.domain.document import Playbook, StageKind
from accord.playbook.domain.routing import Routing
from accord.playbook.models import PlaybookVersion

State = Handoff.State


@dataclass
class Workspace:
    """What routing reads once per transaction: teams by name, reps by id (with their counts)."""

    teams: dict[str, routing.Team]
    reps: dict[int, routing.Rep]

    def assigned(self, rep_id: int, at: dt.datetime) -> None:
        """Count one more assignment to `rep_id`, for the next decision."""
        rep = self.reps[rep_id]
        self.reps[rep_id] = replace(
            rep,
            assigned_today=rep.assigned_today + 1,
            assigned_in_period=rep.assigned_in_period + 1,
            open_handoffs=rep.open_handoffs + 1,
            last_assigned_at=at,
        )


def workspace(plan: Routing, *, now: dt.datetime, lock: bool = True) -> Workspace:
    """The teams and the people routing may choose among, with their counts at `now`."""
    team_rows = Team.objects.order_by("pk")
    if lock:
        team_rows = team_rows.select_for_update()
    rows = list(team_rows)
    members: dict[int, list[int]] = defaultdict(list)
    for team_id, user_id in Membership.objects.values_list("team_id", "user_id"):
        members[team_id].append(user_id)
    teams = {
        t.name: routing.Team(
            id=t.pk,
            name=t.name,
            members=tuple(sorted(members[t.pk])),
            manager_id=t.manager_id,
            time_zone=t.time_zone,
            hours=t.weekly_hours,
        )
        for t in rows
    }
    zone = {user: t.time_zone for t in rows for user in members[t.pk]}
    ids = sorted({user for ids in members.values() for user in ids})
    reps = rep_counts(plan, ids, now=now, zones=zone)
    return Workspace(teams=teams, reps=reps)


def rep_counts(
    plan: Routing, ids: Sequence[int], *, now: dt.datetime, zones: Mapping[int, str] | None = None
) -> dict[int, routing.Rep]:
    """Each of these people with the counts routing weighs: open hand-offs, assignments today and
    this routing period (days in their team's time zone), the time of the last one."""
    zones = zones or {}
    starts = {
        i: (
            _midnight(routing.local_day(now, zones.get(i, "UTC")), zones.get(i, "UTC")),
            _midnight(routing.period_start(now, plan.period, zones.get(i, "UTC")), zones.get(i, "UTC")),
        )
        for i in ids
    }
    earliest = min((period for _, period in starts.values()), default=now)
    open_counts = dict(
        Handoff.objects.filter(state=State.OPEN, owner_id__in=ids, created_at__lte=now)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    assigned: dict[int, list[dt.datetime]] = defaultdict(list)
    for owner_id, at in Handoff.objects.filter(
        owner_id__in=ids, assigned_at__gte=earliest, assigned_at__lte=now
    ).values_list("owner_id", "assigned_at"):
        if at is not None:
            assigned[owner_id].append(at)
    last = dict(
        Handoff.objects.filter(owner_id__in=ids, assigned_at__lte=now)
        .values("owner_id")
        .annotate(last=Max("assigned_at"))
        .values_list("owner_id", "last")
    )
    reps = {}
    for user in User.objects.filter(pk__in=ids).only("pk", "email", "name", "is_active", "away_from", "away_until"):
        day, period = starts[user.pk]
        times = assigned.get(user.pk, [])
        reps[user.pk] = routing.Rep(
            id=user.pk,
            email=user.email,
            name=user.display_name,
            active=user.is_active,
            away_from=user.away_from,
            away_until=user.away_until,
            assigned_today=sum(1 for at in times if at >= day),
            assigned_in_period=sum(1 for at in times if at >= period),
            open_handoffs=open_counts.get(user.pk, 0),
            last_assigned_at=last.get(user.pk),
        )
    return reps


def _midnight(day: dt.date, time_zone: str) -> dt.datetime:
    try:
        zone: dt.tzinfo = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def decide(
    playbook: Playbook, contact: Contact, *, places: Workspace, now: dt.datetime, facts: Mapping[str, Any] | None = None
) -> routing.Decision:
    """Where the contact's hand-off goes now (and count it, for the next decision)."""
    decision = routing.route(
        playbook.routing,
        facts=facts if facts is not None else contact_facts(contact, now=now),
        teams=places.teams,
        reps=places.reps,
        account_owner_id=contact.account.owner_id if contact.account_id and contact.account else None,
        now=now,
    )
    if decision.owner_id is not None:
        places.assigned(decision.owner_id, now)
    return decision


def moved(
    changes: Sequence[tuple[Contact, StageChange]],
    *,
    version: PlaybookVersion,
    now: dt.datetime,
    by_user: User | None,
) -> list[Handoff]:
    """After these moves (their StageChange rows saved): close the open hand-offs of the contacts
    that left the MQL stage, and open a routed hand-off for each that entered it. The hand-offs
    opened."""
    playbook = version.playbook
    mql = playbook.mql_stage
    if mql is None or not changes:
        return []
    leaving = [c.pk for c, change in changes if change.from_stage == mql.key and change.to_stage != mql.key]
    if leaving:
        close_open(
            leaving, stage_of={c.pk: ch.to_stage for c, ch in changes}, playbook=playbook, now=now, by_user=by_user
        )
    entering = [(c, ch) for c, ch in changes if ch.to_stage == mql.key]
    if entering:  # a merge may have brought the dropped contact's open hand-off along
        held = set(
            Handoff.objects.filter(contact_id__in=[c.pk for c, _ in entering], state=State.OPEN).values_list(
                "contact_id", flat=True
            )
        )
        entering = [(c, ch) for c, ch in entering if c.pk not in held]
    if not entering:
        return []
    places = workspace(playbook.routing, now=now)
    opened = []
    for contact, change in entering:
        decision = decide(playbook, contact, places=places, now=now)
        quadrant = contact.quadrant or ""
        opened.append(
            Handoff(
                contact=contact,
                stage_change=change,
                owner_id=decision.owner_id,
                team_id=decision.team_id,
                rule=decision.rule,
                method=decision.method.value,
                trace=decision.as_dict(),
                priority=playbook.routing.priority_of(quadrant or None),
                quadrant=quadrant,
                playbook_version=version,
                created_at=now,
                assigned_at=now if decision.owner_id is not None else None,
            )
        )
    Handoff.objects.bulk_create(opened)
    HandoffChange.objects.bulk_create([events.handoff_routed(h, at=now) for h in opened])
    _own([(h.contact, h.owner_id) for h in opened if h.owner_id is not None])
    return opened


def _own(pairs: Sequence[tuple[Contact, int | None]]) -> None:
    """The contact's owner becomes the rep its hand-off went to (as lead assignment does in a CRM)."""
    for contact, owner_id in pairs:
        if contact.owner_id != owner_id:
            Contact.objects.filter(pk=contact.pk).update(owner_id=owner_id)
            contact.owner_id = owner_id


def close_open(
    contact_ids: Sequence[int],
    *,
    stage_of: Mapping[int, str],
    playbook: Playbook,
    now: dt.datetime,
    by_user: User | None,
) -> int:
    """Close the open hand-offs of contacts that left the MQL stage by another way than the
    hand-off's own buttons (a stage control, a deal, a merge): accepted when they went forward,
    recycled into a recycle stage, rejected into a disqualify stage, else closed (moved back down
    the funnel, or merged into a contact with a hand-off of its own)."""
    found = list(Handoff.objects.select_for_update().filter(contact_id__in=list(contact_ids), state=State.OPEN))
    rows = []
    for handoff in found:
        stage = stage_of.get(handoff.contact_id, "")
        target = playbook.stage(stage)
        mql = playbook.mql_stage
        if (
            target is not None
            and mql is not None
            and target.kind is StageKind.FUNNEL
            and target.position > mql.position
        ):
            state, kind = State.ACCEPTED, HandoffChange.Kind.ACCEPTED
        elif target is not None and target.kind is StageKind.RECYCLE:
            state, kind = State.RECYCLED, HandoffChange.Kind.RECYCLED
        elif target is not None and target.kind is StageKind.DISQUALIFY:
            state, kind = State.REJECTED, HandoffChange.Kind.REJECTED
        else:
            state, kind = State.CLOSED, HandoffChange.Kind.CLOSED
        handoff.state, handoff.closed_at, handoff.closed_by = state, now, by_user
        handoff.save(update_fields=["state", "closed_at", "closed_by"])
        rows.append(events.handoff_closed(handoff, kind, at=now, by_user=by_user, stage=stage))
    HandoffChange.objects.bulk_create(rows)
    return len(found)


def open_handoff(contact_id: int) -> Handoff | None:
    return Handoff.objects.filter(contact_id=contact_id, state=State.OPEN).first()


def latest_accepted(contact_id: int) -> Handoff | None:
    return Handoff.objects.filter(contact_id=contact_id, state=State.ACCEPTED).order_by("-closed_at", "-id").first()


def visible_to(user: User) -> Q:
    """The hand-offs a person may act on: their own; a manager's team's and unassigned ones; all
    for admins and sales managers."""
    if user.role in ("admin", "sales_manager"):
        return Q()
    return Q(owner=user) | Q(team__manager=user)
