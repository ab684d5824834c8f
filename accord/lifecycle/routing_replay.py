"""The routing backtest's replay: a period's MQLs routed again, in the order they happened, under
a routing section — the active one and a draft's, side by side.

Pure code, like `routing`: each MQL is routed by `routing.route` with every rep's counts as they
stand at that moment in the replay (assignments today and this period, open hand-offs, the last
assignment), and a hand-off the replay assigns stays open until the real one closed. What it
reports, per side: the load per rep and per team, hand-offs left in a team's queue, how often a
rep was skipped at capacity, hand-offs assigned while the team was outside its working hours, and
projected first-touch SLA misses — a hand-off's owner's real median time to a first touch against
the playbook's first-contact hours for its priority (wall-clock hours; business hours arrive with
the SLA clocks). Then the hand-offs whose owner differs between the two sides.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.accounts.domain import within_hours
from accord.lifecycle import routing
from accord.playbook.domain.routing import Routing

_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class PastMql:
    """One entry into the MQL stage, as it happened."""

    contact_id: int
    at: dt.datetime
    facts: Mapping[str, Any]
    account_owner_id: int | None
    priority: str
    closed_at: dt.datetime | None  # when the real hand-off closed (None: still open, or none)


@dataclass
class Side:
    """What one routing section did with the period's MQLs."""

    name: str
    owners: list[int | None] = field(default_factory=list)  # per MQL, in order
    per_rep: Counter[int] = field(default_factory=Counter)
    per_team: Counter[str] = field(default_factory=Counter)
    per_rule: Counter[str] = field(default_factory=Counter)
    queued: int = 0
    capped: Counter[int] = field(default_factory=Counter)  # rep -> times skipped at daily or open capacity
    outside_hours: int = 0
    sla_misses: int = 0
    sla_unknown: int = 0  # assigned to a rep with no first touch on record

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "per_rep": dict(self.per_rep),
            "per_team": dict(self.per_team),
            "per_rule": dict(self.per_rule),
            "queued": self.queued,
            "capped": dict(self.capped),
            "outside_hours": self.outside_hours,
            "sla_misses": self.sla_misses,
            "sla_unknown": self.sla_unknown,
        }


@dataclass
class Comparison:
    mqls: int
    active: Side
    draft: Side
    owner_changes: int

    def as_dict(self) -> dict[str, Any]:
        return {"mqls": self.mqls, "active": self.active.as_dict(), "draft": self.draft.as_dict(),
                "owner_changes": self.owner_changes}  # fmt: skip


class _Load(Mapping[int, routing.Rep]):
    """Every rep with their counts at the replay's current moment, built when routing asks."""

    def __init__(self, base: Mapping[int, routing.Rep], zones: Mapping[int, str], period: str) -> None:
        self.base, self.zones, self.period = base, zones, period
        self.now = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.day: dict[int, tuple[dt.date, int]] = {}
        self.in_period: dict[int, tuple[dt.date, int]] = {}
        self.open: dict[int, list[dt.datetime]] = {i: [] for i in base}
        self.last: dict[int, dt.datetime] = {}
        self.built: dict[int, routing.Rep] = {}
        self.zone_keys: dict[str, tuple[dt.date, dt.date]] = {}

    def at(self, now: dt.datetime) -> None:
        """Move the replay's clock to `now`: hand-offs that closed by then are no longer open; a new
        day or period (in a rep's time zone) starts their counts again. Reps whose counts did not
        change keep the Rep already built."""
        self.now = now
        before, self.zone_keys = self.zone_keys, {}
        for zone, keys in before.items():
            if (routing.local_day(now, zone), routing.period_start(now, self.period, zone)) != keys:
                self.built = {}  # a new day somewhere: build every rep again
                break
        else:
            self.zone_keys = before
        for rep, closing in self.open.items():
            if closing and closing[0] <= now:
                while closing and closing[0] <= now:
                    heapq.heappop(closing)
                self.built.pop(rep, None)

    def _count(self, counts: dict[int, tuple[dt.date, int]], rep: int, key: dt.date) -> int:
        found = counts.get(rep)
        return found[1] if found is not None and found[0] == key else 0

    def _keys(self, rep: int) -> tuple[dt.date, dt.date]:
        zone = self.zones.get(rep, "UTC")
        keys = self.zone_keys.get(zone)
        if keys is None:
            keys = self.zone_keys[zone] = (routing.local_day(self.now, zone),
                                           routing.period_start(self.now, self.period, zone))  # fmt: skip
        return keys

    def __contains__(self, rep: object) -> bool:
        return rep in self.base

    def __getitem__(self, rep: int) -> routing.Rep:
        found = self.built.get(rep)
        if found is not None:
            return found
        base = self.base[rep]
        day, period = self._keys(rep)
        found = self.built[rep] = routing.Rep(
            id=base.id, email=base.email, name=base.name, active=base.active, away_from=base.away_from,
            away_until=base.away_until, assigned_today=self._count(self.day, rep, day),
            assigned_in_period=self._count(self.in_period, rep, period), open_handoffs=len(self.open[rep]),
            last_assigned_at=self.last.get(rep),
        )  # fmt: skip
        return found

    def get(self, rep: int, default: Any = None) -> Any:  # Mapping's, without its try/except per call
        return self[rep] if rep in self.base else default

    def __iter__(self) -> Iterator[int]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)

    def assign(self, rep: int, closes: dt.datetime | None) -> None:
        day, period = self._keys(rep)
        self.day[rep] = (day, self._count(self.day, rep, day) + 1)
        self.in_period[rep] = (period, self._count(self.in_period, rep, period) + 1)
        heapq.heappush(self.open[rep], closes or _NEVER)
        self.last[rep] = self.now
        self.built.pop(rep, None)


def replay(
    name: str,
    plan: Routing,
    mqls: Sequence[PastMql],
    *,
    teams: Mapping[str, routing.Team],
    reps: Mapping[int, routing.Rep],
    response_hours: Mapping[int, float],
    sla_hours: Mapping[str, float],
) -> Side:
    """Route `mqls` (in time order) under `plan`. `reps` without counts; `response_hours` each
    rep's median hours to a first touch; `sla_hours` the first-contact hours by priority."""
    zones = {rep: team.time_zone for team in teams.values() for rep in team.members}
    load = _Load(reps, zones, plan.period)
    by_id = {team.id: team for team in teams.values()}
    side = Side(name)
    for mql in mqls:
        load.at(mql.at)
        decision = routing.route(plan, facts=mql.facts, teams=teams, reps=load,
                                 account_owner_id=mql.account_owner_id, now=mql.at)  # fmt: skip
        side.owners.append(decision.owner_id)
        side.per_rule[decision.rule] += 1
        side.per_team[decision.team] += 1
        for tried in decision.trace:
            for seen in tried.considered:
                if seen.skipped in (routing.Skip.DAILY_CAPACITY, routing.Skip.OPEN_CAPACITY):
                    side.capped[seen.rep_id] += 1
        if decision.owner_id is None:
            side.queued += 1
            continue
        side.per_rep[decision.owner_id] += 1
        load.assign(decision.owner_id, mql.closed_at)
        team = by_id.get(decision.team_id) if decision.team_id is not None else None
        if team is not None and team.hours is not None and not within_hours(team.hours, team.time_zone, mql.at):
            side.outside_hours += 1
        hours = response_hours.get(decision.owner_id)
        if hours is None:
            side.sla_unknown += 1
        elif hours > sla_hours.get(mql.priority, sla_hours.get("normal", float("inf"))):
            side.sla_misses += 1
    return side


@dataclass(frozen=True)
class Replay:
    """One side's replay: the arguments of `replay` (picklable, so a side can run in a process of
    its own)."""

    name: str
    plan: Routing
    mqls: list[PastMql]
    teams: Mapping[str, routing.Team]
    reps: Mapping[int, routing.Rep]
    response_hours: Mapping[int, float]
    sla_hours: Mapping[str, float]

    def __call__(self) -> Side:
        return replay(self.name, self.plan, self.mqls, teams=self.teams, reps=self.reps,
                      response_hours=self.response_hours, sla_hours=self.sla_hours)  # fmt: skip


def compare(active: Side, draft: Side) -> Comparison:
    changes = sum(1 for a, d in zip(active.owners, draft.owners, strict=True) if a != d)
    return Comparison(mqls=len(active.owners), active=active, draft=draft, owner_changes=changes)
