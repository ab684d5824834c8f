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

from django.db import connection
from django.db.models import F, Max, Value
from django.db.models.functions import Greatest

from accord.accounts.domain import WeeklyHours, parse_hours
from accord.accounts.models import Membership, Team, User
from accord.contacts.models import Contact
from accord.contacts.queries import contact_facts
from accord.lifecycle import events, notices, routing
from accord.lifecycle.models import Handoff, HandoffChange, RepLoad, StageChange
from accord.playbook.domain.document import Playbook, StageKind
from accord.playbook.domain.routing import Routing
from accord.playbook.models import PlaybookVersion
from accord.sla import clocks

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
    """The teams and the people routing may choose among, with their counts at `now`, in one
    query: each team (locked, in id order, when `lock`) with its members and their load."""
    rows = Team.objects.order_by("pk", "membership__user_id").values_list(
        "pk", "name", "manager_id", "time_zone", "hours", *(f"membership__{f}" for f in _PERSON)
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    teams: dict[int, tuple[str, int | None, str, object]] = {}
    members: dict[int, list[int]] = defaultdict(list)
    zone: dict[int, str] = {}
    reps: dict[int, routing.Rep] = {}
    days: dict[str, tuple[dt.date, dt.date]] = {}  # per time zone: today and this period's start
    for pk, name, manager_id, time_zone, hours, *person in rows:
        teams.setdefault(pk, (name, manager_id, time_zone, hours))
        if person[0] is None:  # a team with no members
            continue
        members[pk].append(person[0])
        if person[0] not in reps:  # their first team's time zone counts their days
            zone[person[0]] = time_zone
            if time_zone not in days:
                days[time_zone] = keys(plan, now, time_zone)
            reps[person[0]] = _rep(person, days[time_zone])
    by_name = {
        name: routing.Team(pk, name, tuple(members[pk]), manager_id, time_zone, _hours(hours))
        for pk, (name, manager_id, time_zone, hours) in teams.items()
    }
    return Workspace(teams=by_name, reps=reps, zones=zone)


# What routing reads about a person, through a membership (user__…) or from the user (…).
_FIELDS = ("id", "email", "name", "is_active", "away_from", "away_until", "rep_load__open_handoffs",
           "rep_load__day", "rep_load__day_count", "rep_load__period", "rep_load__period_count",
           "rep_load__last_assigned_at")  # fmt: skip
_PERSON = tuple(f"user__{f}" for f in _FIELDS)


def _rep(person: Sequence[Any], now: tuple[dt.date, dt.date]) -> routing.Rep:
    """A person's row (`_FIELDS`) as routing weighs it `now` (their day and the first day of their
    routing period): a count kept for an earlier day or period reads as 0."""
    pk, email, name, active, away_from, away_until, open_handoffs, day, day_count, period, period_count, last = person
    today, this_period = now
    return routing.Rep(
        id=pk,
        email=email,
        name=name or email,
        active=active,
        away_from=away_from,
        away_until=away_until,
        assigned_today=day_count if day == today else 0,
        assigned_in_period=period_count if period == this_period else 0,
        open_handoffs=open_handoffs or 0,
        last_assigned_at=last,
    )


def _hours(hours: object) -> WeeklyHours | None:
    """A team's stored hours, parsed (None when they no longer parse: always open)."""
    try:
        return parse_hours(hours)
    except ValueError:
        return None


def rep_counts(
    plan: Routing, ids: Sequence[int], *, now: dt.datetime, zones: Mapping[int, str] | None = None
) -> dict[int, routing.Rep]:
    """Each of these people with the counts routing weighs, read from their `RepLoad` row: open
    hand-offs, assignments today and this routing period (days in their team's time zone), the
    time of the last one."""
    zones = zones or {}
    people = User.objects.filter(pk__in=ids).values_list(*_FIELDS)
    return {person[0]: _rep(person, keys(plan, now, zones.get(person[0], "UTC"))) for person in people}


def keys(plan: Routing, now: dt.datetime, zone: str) -> tuple[dt.date, dt.date]:
    """The day and the first day of the routing period `now` falls in, in `zone`."""
    return routing.local_day(now, zone), routing.period_start(now, plan.period, zone)


def zone_of(user_id: int) -> str:
    """The time zone a rep's days are counted in: their (first) team's."""
    found = Membership.objects.filter(user_id=user_id).order_by("team_id").values_list("team__time_zone", flat=True)
    return next(iter(found), "UTC")


def loaded(plan: Routing, rep_id: int, *, at: dt.datetime, zone: str) -> None:
    """Count one more assignment to `rep_id` at `at`, and one more open hand-off, in their RepLoad.

    One statement (it runs inside every MQL move); an UPDATE relative to what is stored, so two
    transactions counting at once both count."""
    day, period = keys(plan, at, zone)
    ops = connection.ops
    on_day, on_period, when = (
        ops.adapt_datefield_value(day),
        ops.adapt_datefield_value(period),
        ops.adapt_datetimefield_value(at),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RepLoad._meta.db_table} SET open_handoffs = open_handoffs + 1,"
            " day_count = CASE WHEN day = %s THEN day_count + 1 ELSE 1 END, day = %s,"
            " period_count = CASE WHEN period = %s THEN period_count + 1 ELSE 1 END, period = %s,"
            " last_assigned_at = CASE WHEN last_assigned_at > %s THEN last_assigned_at ELSE %s END"
            " WHERE user_id = %s",
            [on_day, on_day, on_period, on_period, when, when, rep_id],
        )
        done = cursor.rowcount
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
    """After these moves (their StageChange rows saved, the contacts not written yet): close the
    open hand-offs of the contacts that left the MQL stage, and open a routed hand-off for each
    that entered it (after a merge, `merged`: unless the dropped contact's open hand-off came
    along, which it keeps). A routed contact's `owner` is set to its rep here and written by the
    caller with the rest of the move. The hand-offs opened."""
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
    clocks.start(opened, terms=playbook.sla.sales, now=now)
    notices.routed(opened)
    for handoff in opened:
        if handoff.owner_id is not None:
            loaded(playbook.routing, handoff.owner_id, at=now, zone=places.zones.get(handoff.owner_id, "UTC"))
    _own([(h.contact, h.owner_id) for h in opened if h.owner_id is not None])
    return opened


def _own(pairs: Sequence[tuple[Contact, int | None]]) -> None:
    """The contact's owner becomes the rep its hand-off went to (as lead assignment does in a CRM)."""
    for contact, owner_id in pairs:
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
    clocks.closed([h.pk for h in found], at=now, by_user_id=by_user.pk if by_user else None)
    notices.handed_back(found)
    unloaded([h.owner_id for h in found if h.owner_id is not None])
    return len(found)


def open_handoff(contact_id: int) -> Handoff | None:
    return Handoff.objects.filter(contact_id=contact_id, state=State.OPEN).first()


def latest_accepted(contact_id: int) -> Handoff | None:
    return Handoff.objects.filter(contact_id=contact_id, state=State.ACCEPTED).order_by("-closed_at", "-id").first()
