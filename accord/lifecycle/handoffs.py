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
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Case, F, Max, Value, When
from django.db.models.functions import Coalesce, Greatest

from accord.accounts.models import Membership, Team, User
from accord.contacts.models import Contact
from accord.contacts.queries import contact_facts
from accord.lifecycle import events, routing
from accord.lifecycle.models import Handoff, HandoffChange, RepLoad, StageChange
from accord.playbook.domain.document import Playbook, StageKind
from accord.playbook.domain.routing import Routing
from accord.playbook.models import PlaybookVersion

State = Handoff.State


@dataclass
class Workspace:
    """What routing reads once per transaction: teams by name, reps by id (with their counts)."""

    teams: dict[str, routing.Team]
    reps: dict[int, routing.Rep]
    zones: dict[int, str]  # rep -> the time zone their days are counted in

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
    zone: dict[int, str] = {}
    for t in rows:
        for user in members[t.pk]:
            zone.setdefault(user, t.time_zone)
    ids = sorted({user for ids in members.values() for user in ids})
    reps = rep_counts(plan, ids, now=now, zones=zone)
    return Workspace(teams=teams, reps=reps, zones=zone)


def rep_counts(
    plan: Routing, ids: Sequence[int], *, now: dt.datetime, zones: Mapping[int, str] | None = None
) -> dict[int, routing.Rep]:
    """Each of these people with the counts routing weighs, read from their `RepLoad` row: open
    hand-offs, assignments today and this routing period (days in their team's time zone; a count
    kept for an earlier day or period reads as 0), the time of the last one."""
    zones = zones or {}
    reps = {}
    people = User.objects.filter(pk__in=ids).select_related("rep_load")
    for user in people.only("pk", "email", "name", "is_active", "away_from", "away_until", "rep_load"):
        day, period = keys(plan, now, zones.get(user.pk, "UTC"))
        load: RepLoad | None = getattr(user, "rep_load", None)
        reps[user.pk] = routing.Rep(
            id=user.pk,
            email=user.email,
            name=user.display_name,
            active=user.is_active,
            away_from=user.away_from,
            away_until=user.away_until,
            assigned_today=load.day_count if load is not None and load.day == day else 0,
            assigned_in_period=load.period_count if load is not None and load.period == period else 0,
            open_handoffs=load.open_handoffs if load is not None else 0,
            last_assigned_at=load.last_assigned_at if load is not None else None,
        )
    return reps


def keys(plan: Routing, now: dt.datetime, zone: str) -> tuple[dt.date, dt.date]:
    """The day and the first day of the routing period `now` falls in, in `zone`."""
    return routing.local_day(now, zone), routing.period_start(now, plan.period, zone)


def zone_of(user_id: int) -> str:
    """The time zone a rep's days are counted in: their (first) team's."""
    found = Membership.objects.filter(user_id=user_id).order_by("team_id").values_list("team__time_zone", flat=True)
    return next(iter(found), "UTC")


def loaded(plan: Routing, rep_id: int, *, at: dt.datetime, zone: str) -> None:
    """Count one more assignment to `rep_id` at `at`, and one more open hand-off, in their RepLoad."""
    day, period = keys(plan, at, zone)
    done = RepLoad.objects.filter(pk=rep_id).update(
        open_handoffs=F("open_handoffs") + 1,
        day_count=Case(When(day=day, then=F("day_count") + 1), default=Value(1)),
        day=day,
        period_count=Case(When(period=period, then=F("period_count") + 1), default=Value(1)),
        period=period,
        last_assigned_at=Greatest(Coalesce(F("last_assigned_at"), Value(at)), Value(at)),
    )
    if not done:  # their first assignment: a row of their own (written once, whoever is first), then count
        RepLoad.objects.bulk_create([RepLoad(user_id=rep_id)], ignore_conflicts=True)
        loaded(plan, rep_id, at=at, zone=zone)


def unloaded(owner_ids: Sequence[int]) -> None:
    """One open hand-off fewer for each owner in `owner_ids` (an owner may come more than once)."""
    for owner_id, n in Counter(owner_ids).items():
        RepLoad.objects.filter(pk=owner_id).update(open_handoffs=Greatest(F("open_handoffs") - n, Value(0)))


def recount(*, plan: Routing, now: dt.datetime) -> int:
    """Every rep's RepLoad counted again from the hand-offs (after hand-offs were written in bulk,
    as the demo and the benchmarks write them). The rows written."""
    zones: dict[int, str] = {}
    for user_id, zone in Membership.objects.order_by("team_id").values_list("user_id", "team__time_zone"):
        zones.setdefault(user_id, zone)
    opened = Counter(Handoff.objects.filter(state=State.OPEN, owner__isnull=False).values_list("owner_id", flat=True))
    rows: dict[int, RepLoad] = {}
    owners = set(zones) | set(opened)
    for owner in owners:
        day, period = keys(plan, now, zones.get(owner, "UTC"))
        rows[owner] = RepLoad(user_id=owner, open_handoffs=opened.get(owner, 0), day=day, period=period)
    # Assignments are the history's: routed to, taken from a queue by, or reassigned to someone.
    given = HandoffChange.objects.filter(
        kind__in=[HandoffChange.Kind.ROUTED, HandoffChange.Kind.REASSIGNED], to_owner__isnull=False, at__lte=now
    )
    earliest = min((_midnight(r.period, zones.get(o, "UTC")) for o, r in rows.items() if r.period), default=now)
    recent = given.filter(to_owner_id__in=list(owners), at__gte=earliest - dt.timedelta(days=1))
    for owner, at in recent.values_list("to_owner_id", "at"):
        row = rows[owner]
        local = keys(plan, at, zones.get(owner, "UTC"))
        row.day_count += local[0] == row.day
        row.period_count += local[1] == row.period
    latest = given.filter(to_owner_id__in=list(owners)).values("to_owner_id").annotate(last=Max("at"))
    for owner, last in latest.values_list("to_owner_id", "last"):
        rows[owner].last_assigned_at = last
    RepLoad.objects.all().delete()
    RepLoad.objects.bulk_create(list(rows.values()))
    return len(rows)


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
    merged: bool = False,
) -> list[Handoff]:
    """After these moves (their StageChange rows saved): close the open hand-offs of the contacts
    that left the MQL stage, and open a routed hand-off for each that entered it (after a merge,
    `merged`: unless the dropped contact's open hand-off came along, which it keeps). The hand-offs
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
    if entering and merged:  # only a merge can bring an open hand-off into the MQL stage
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
    for handoff in opened:
        if handoff.owner_id is not None:
            loaded(playbook.routing, handoff.owner_id, at=now, zone=places.zones.get(handoff.owner_id, "UTC"))
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
    unloaded([h.owner_id for h in found if h.owner_id is not None])
    return len(found)


def open_handoff(contact_id: int) -> Handoff | None:
    return Handoff.objects.filter(contact_id=contact_id, state=State.OPEN).first()


def latest_accepted(contact_id: int) -> Handoff | None:
    return Handoff.objects.filter(contact_id=contact_id, state=State.ACCEPTED).order_by("-closed_at", "-id").first()
