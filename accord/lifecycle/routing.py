"""Routing: who a new MQL's hand-off goes to, and the trace of how that was decided.

Pure code (no Django; `now` and every count are passed in). The playbook's `routing` section
(`playbook.domain.routing`) is tried rule by rule, in order; the first rule whose condition holds
wins, else the default. The rule's method picks among the people who are available:

- active (not switched off), not away today, inside their team's working hours when the rule
  asks for it, under their daily capacity and under their open-item capacity;
- `account_owner` and `owner` take one person, who must be in the rule's team; when that person
  is unavailable the team's round robin picks instead;
- `round_robin`: the fewest assignments this period, then the longest since their last
  assignment (never assigned comes first), then the lowest id;
- `weighted`: as round robin with each count divided by the person's weight, so weights
  200/100/100 give 50/25/25 % over a period;
- `load_balance`: the fewest open hand-offs, then as round robin.

When nobody is available the hand-off stays in the team's queue (owner None) for its manager:
never lost, never given to someone away. The trace records every rule tried and every person
considered, with why each was skipped.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.accounts.domain import WeeklyHours, within_hours
from accord.playbook.domain import conditions
from accord.playbook.domain.routing import DEFAULT_WEIGHT, Method, Routing, Rule


class Skip(enum.StrEnum):
    NOT_IN_TEAM = "not_in_team"
    INACTIVE = "inactive"
    AWAY = "away"
    OUTSIDE_HOURS = "outside_hours"
    DAILY_CAPACITY = "daily_capacity"
    OPEN_CAPACITY = "open_capacity"


SKIP_LABELS: dict[Skip, str] = {
    Skip.NOT_IN_TEAM: "not in the team",
    Skip.INACTIVE: "inactive",
    Skip.AWAY: "away",
    Skip.OUTSIDE_HOURS: "outside working hours",
    Skip.DAILY_CAPACITY: "at daily capacity",
    Skip.OPEN_CAPACITY: "at open-item capacity",
}


@dataclass(frozen=True)
class Rep:
    """A person who may be routed to, with the counts routing needs about them."""

    id: int
    email: str
    name: str = ""
    active: bool = True
    away_from: dt.date | None = None
    away_until: dt.date | None = None
    assigned_today: int = 0  # hand-offs assigned to them today
    assigned_in_period: int = 0  # … this routing period (for round robin and weights)
    open_handoffs: int = 0
    last_assigned_at: dt.datetime | None = None

    def away_on(self, day: dt.date) -> bool:
        if self.away_from is None and self.away_until is None:
            return False
        starts = self.away_from or dt.date.min
        ends = self.away_until or dt.date.max
        return starts <= day <= ends


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    members: tuple[int, ...]  # rep ids (kept in id order: the order routing considers them in)
    manager_id: int | None = None
    time_zone: str = "UTC"
    hours: WeeklyHours | None = None  # None: always open

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(sorted(self.members)))


class Considered(NamedTuple):
    """One person a rule's method looked at (a tuple: routing builds one per person per decision)."""

    rep_id: int
    email: str
    skipped: Skip | None  # None: available
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"rep": self.rep_id, "email": self.email, "skipped": self.skipped and self.skipped.value,
                "detail": self.detail}  # fmt: skip


@dataclass(frozen=True)
class Tried:
    """One rule as routing tried it."""

    rule: str
    label: str
    matched: bool
    team: str
    method: Method
    considered: tuple[Considered, ...] = ()
    chosen: int | None = None
    note: str = ""  # a fallback taken, an unknown team, nobody available

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "label": self.label,
            "matched": self.matched,
            "team": self.team,
            "method": self.method.value,
            "considered": [c.as_dict() for c in self.considered],
            "chosen": self.chosen,
            "note": self.note,
        }


@dataclass(frozen=True)
class Decision:
    rule: str
    method: Method  # the method that chose (round_robin when an owner method fell back)
    team_id: int | None  # None: the playbook's team does not exist
    team: str
    owner_id: int | None  # None: the team's queue
    trace: tuple[Tried, ...] = field(default=())

    @property
    def queued(self) -> bool:
        return self.owner_id is None

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "method": self.method.value, "team": self.team, "owner": self.owner_id,
                "tried": [t.as_dict() for t in self.trace]}  # fmt: skip


def route(
    routing: Routing,
    *,
    facts: Mapping[str, Any],
    teams: Mapping[str, Team],
    reps: Mapping[int, Rep],
    account_owner_id: int | None,
    now: dt.datetime,
) -> Decision:
    """Route one hand-off (see the module's docstring). `teams` by name, `reps` by id."""
    trace: list[Tried] = []
    for rule in routing.rules:
        assert rule.when is not None
        if not conditions.evaluate(rule.when, facts):
            trace.append(Tried(rule.key, rule.label, False, rule.team, rule.method))
            continue
        return _apply(routing, rule, teams, reps, account_owner_id, now, trace)
    return _apply(routing, routing.default, teams, reps, account_owner_id, now, trace)


def _apply(
    routing: Routing,
    rule: Rule,
    teams: Mapping[str, Team],
    reps: Mapping[int, Rep],
    account_owner_id: int | None,
    now: dt.datetime,
    trace: list[Tried],
) -> Decision:
    team = teams.get(rule.team)
    if team is None:
        trace.append(Tried(rule.key, rule.label, True, rule.team, rule.method, note=f"no team named {rule.team!r}"))
        return Decision(rule.key, rule.method, None, rule.team, None, tuple(trace))
    considered: list[Considered] = []
    method, note = rule.method, ""
    if rule.method in (Method.ACCOUNT_OWNER, Method.OWNER):
        named = _named(rule, reps, account_owner_id)
        if named is not None:
            seen = Considered(named.id, named.email, Skip.NOT_IN_TEAM, f"not a member of {team.name}")
            if named.id in team.members:
                seen = _check(routing, rule, team, named, local_day(now, team.time_zone), _closed(rule, team, now))
            considered.append(seen)
            if seen.skipped is None:
                trace.append(Tried(rule.key, rule.label, True, team.name, rule.method, tuple(considered), named.id))
                return Decision(rule.key, rule.method, team.id, team.name, named.id, tuple(trace))
            note = f"{named.email} is {SKIP_LABELS[seen.skipped]}: the team's round robin picks"
        else:
            note = ("the account has no owner" if rule.method is Method.ACCOUNT_OWNER
                    else f"nobody has the email {rule.owner}") + ": the team's round robin picks"  # fmt: skip
        method = Method.ROUND_ROBIN
    named_ids = {c.rep_id for c in considered}
    available: list[Rep] = []
    today = local_day(now, team.time_zone)
    closed = _closed(rule, team, now)
    for rep_id in team.members:
        rep = reps.get(rep_id)
        if rep is None or rep_id in named_ids:
            continue
        seen = _check(routing, rule, team, rep, today, closed)
        considered.append(seen)
        if seen.skipped is None:
            available.append(rep)
    chosen = _pick(method, rule, available)
    if chosen is None:
        note = "; ".join(filter(None, [note, "nobody in the team is available: the team's queue"]))
    trace.append(Tried(rule.key, rule.label, True, team.name, rule.method, tuple(considered),
                       chosen.id if chosen else None, note))  # fmt: skip
    return Decision(rule.key, method, team.id, team.name, chosen.id if chosen else None, tuple(trace))


def _named(rule: Rule, reps: Mapping[int, Rep], account_owner_id: int | None) -> Rep | None:
    if rule.method is Method.ACCOUNT_OWNER:
        return reps.get(account_owner_id) if account_owner_id is not None else None
    return next((r for r in reps.values() if r.email == rule.owner), None)


def _closed(rule: Rule, team: Team, now: dt.datetime) -> Considered | None:
    """Why nobody in `team` can take a hand-off from `rule` now, when its working hours are over
    (a template: its rep fields are filled per person)."""
    if rule.working_hours and team.hours is not None and not within_hours(team.hours, team.time_zone, now):
        return Considered(0, "", Skip.OUTSIDE_HOURS, f"{team.name} is closed now ({team.time_zone})")
    return None


def _check(
    routing: Routing, rule: Rule, team: Team, rep: Rep, today: dt.date, closed: Considered | None
) -> Considered:
    """Whether `rep`, a member of `team`, can take a hand-off from `rule` now (`today` in the
    team's time zone; `closed` when the team is outside its working hours), and if not, why."""
    if not rep.active:
        return Considered(rep.id, rep.email, Skip.INACTIVE)
    if rep.away_on(today):
        until = f" until {rep.away_until.isoformat()}" if rep.away_until else ""
        return Considered(rep.id, rep.email, Skip.AWAY, f"away{until}")
    if closed is not None:
        return closed._replace(rep_id=rep.id, email=rep.email)
    capacity = routing.capacity_of(rep.email)
    if capacity.daily is not None and rep.assigned_today >= capacity.daily:
        return Considered(rep.id, rep.email, Skip.DAILY_CAPACITY, f"{rep.assigned_today} of {capacity.daily} today")
    if capacity.open is not None and rep.open_handoffs >= capacity.open:
        return Considered(rep.id, rep.email, Skip.OPEN_CAPACITY, f"{rep.open_handoffs} of {capacity.open} open")
    return Considered(rep.id, rep.email, None)


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _waited(rep: Rep) -> tuple[dt.datetime, int]:
    """Longest since the last assignment first (never assigned before anyone), then by id."""
    return (rep.last_assigned_at or _NEVER, rep.id)


def _pick(method: Method, rule: Rule, available: Sequence[Rep]) -> Rep | None:
    if not available:
        return None
    if method is Method.WEIGHTED:

        def share(r: Rep) -> Fraction:
            return Fraction(r.assigned_in_period + 1, rule.weights.get(r.email, DEFAULT_WEIGHT))

        return min(available, key=lambda r: (share(r), *_waited(r)))
    if method is Method.LOAD_BALANCE:
        return min(available, key=lambda r: (r.open_handoffs, r.assigned_in_period, *_waited(r)))
    return min(available, key=lambda r: (r.assigned_in_period, *_waited(r)))


def local_day(now: dt.datetime, time_zone: str) -> dt.date:
    """The date it is at `now` in `time_zone` (UTC when the zone is unknown)."""
    try:
        return now.astimezone(ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(dt.UTC).date()


def period_start(now: dt.datetime, period: str, time_zone: str = "UTC") -> dt.date:
    """The first day of the routing period `now` falls in (day, week from Monday, month, quarter)."""
    day = local_day(now, time_zone)
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)

