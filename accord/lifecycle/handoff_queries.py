"""Reads of hand-offs for the screens that work them: a rep's queue, a manager's view of their
teams (the team queue, every open hand-off, each rep's load and away dates).

Each read makes a fixed number of queries, whatever the number of hand-offs: the rows come with
their contact, account, team, owner and the MQL stage change (whose details hold the score
breakdown handed over) loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from accord.accounts.domain import Capability, holders
from accord.accounts.models import Membership, Team, User
from accord.lifecycle import routing
from accord.lifecycle.handoffs import rep_counts
from accord.lifecycle.models import Handoff
from accord.playbook.domain.routing import Capacity, Routing

State = Handoff.State


def _open() -> QuerySet[Handoff]:
    return Handoff.objects.filter(state=State.OPEN).select_related(
        "contact", "contact__account", "team", "owner", "stage_change"
    )


def handoffs_for_work(ids: list[int]) -> list[Handoff]:
    """These open hand-offs, loaded as the queue shows them, in the order of `ids`."""
    found = {h.pk: h for h in _open().filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def handoff_for_work(pk: int) -> Handoff | None:
    """One hand-off with what its row shows loaded (any state: a row re-rendered after an action)."""
    return (
        Handoff.objects.select_related("contact", "contact__account", "team", "owner", "stage_change", "closed_by")
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class RepQueue:
    mine: list[Handoff]  # the rep's open hand-offs: highest priority, then oldest first (the first SHOWN)
    unassigned: list[Handoff]  # open hand-offs in the queue of a team the rep is in, nobody's yet (SHOWN)
    mine_total: int = 0
    unassigned_total: int = 0


SHOWN = 25  # rows the rep's queue shows at once, in working order: the next ones come up as these are worked
TEAM_SHOWN = 50  # rows of the manager's view


def rep_queue(user: User) -> RepQueue:
    """What `user` has to work: their open hand-offs, and their teams' unassigned ones."""
    own = Handoff.objects.filter(state=State.OPEN, owner=user)
    mine = list(_open().filter(owner=user).order_by("rank", "created_at", "id")[:SHOWN])
    teams = Membership.objects.filter(user=user).values("team_id")
    queued = Handoff.objects.filter(state=State.OPEN, owner__isnull=True, team_id__in=teams)
    unassigned = list(
        _open().filter(owner__isnull=True, team_id__in=teams).order_by("rank", "created_at", "id")[:SHOWN]
    )
    return RepQueue(
        mine=mine,
        unassigned=unassigned,
        mine_total=own.count() if len(mine) == SHOWN else len(mine),
        unassigned_total=queued.count() if len(unassigned) == SHOWN else len(unassigned),
    )


@dataclass(frozen=True)
class RepLoad:
    """One rep of the teams shown: how much they hold against their capacity, and when they are away."""

    user: User
    teams: tuple[str, ...]
    open_handoffs: int
    assigned_today: int
    capacity: Capacity
    away_from: dt.date | None
    away_until: dt.date | None
    away_today: bool


@dataclass(frozen=True)
class TeamView:
    teams: list[Team]
    all_teams: bool  # the person sees every team (sales managers, admins and readers)
    handoffs: list[Handoff]  # open ones: unassigned first, then highest priority, then oldest (the first TEAM_SHOWN)
    total: int  # open hand-offs in these teams
    loads: list[RepLoad]
    candidates: list[User]  # whom a hand-off may be reassigned to


def visible_teams(user: User) -> tuple[list[Team], bool]:
    """The teams whose hand-offs `user` oversees: all for sales managers and admins, and for those who
    only read (viewers, marketing); the teams they manage for anyone else (a rep leading a team)."""
    if user.can(Capability.HANDOFF_MANAGE) or not user.can(Capability.HANDOFF_WORK):
        return list(Team.objects.select_related("manager").order_by("name")), True
    return list(Team.objects.select_related("manager").filter(manager=user).order_by("name")), False


def team_view(user: User, *, plan: Routing, now: dt.datetime) -> TeamView:
    """The manager's view of `visible_teams(user)`."""
    teams, everything = visible_teams(user)
    ids = [t.pk for t in teams]
    found = _open()
    if not everything:
        found = found.filter(team_id__in=ids)
    # unassigned first, then highest priority, then oldest: two reads of the open-order index
    handoffs = list(found.filter(owner__isnull=True).order_by("rank", "created_at", "id")[:TEAM_SHOWN])
    if len(handoffs) < TEAM_SHOWN:
        rest = found.filter(owner__isnull=False).order_by("rank", "created_at", "id")
        handoffs += list(rest[: TEAM_SHOWN - len(handoffs)])
    total = found.count() if len(handoffs) == TEAM_SHOWN else len(handoffs)
    members: dict[int, list[str]] = {}
    zones: dict[int, str] = {}
    names = {t.pk: t for t in teams}
    for team_id, user_id in Membership.objects.filter(team_id__in=ids).values_list("team_id", "user_id"):
        members.setdefault(user_id, []).append(names[team_id].name)
        zones.setdefault(user_id, names[team_id].time_zone)
    people = list(User.objects.filter(pk__in=members).order_by("name", "email"))
    counts = rep_counts(plan, [u.pk for u in people], now=now, zones=zones)
    loads = []
    for person in people:
        count = counts.get(person.pk)
        day = routing.local_day(now, zones.get(person.pk, "UTC"))
        loads.append(
            RepLoad(
                user=person,
                teams=tuple(sorted(members[person.pk])),
                open_handoffs=count.open_handoffs if count else 0,
                assigned_today=count.assigned_today if count else 0,
                capacity=plan.capacity_of(person.email),
                away_from=person.away_from,
                away_until=person.away_until,
                away_today=count.away_on(day) if count else False,
            )
        )
    return TeamView(teams=teams, all_teams=everything, handoffs=handoffs, total=total, loads=loads,
                    candidates=reassign_candidates())  # fmt: skip


def reassign_candidates() -> list[User]:
    """Active people who may work hand-offs, by name."""
    return list(
        User.objects.filter(is_active=True, role__in=holders(Capability.HANDOFF_WORK)).order_by("name", "email")
    )
