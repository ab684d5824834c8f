"""Sales' side of the demo as data: who routing may choose among, the hand-offs it opens, the
touches reps log and the deals they win and lose.

Routing is the product's (`accord.lifecycle.routing.route`, with the playbook's `routing`
section); the desk here only keeps the counts it weighs (assignments today and this period, open
hand-offs, the last assignment) as the hand-offs table would give them at each moment, since the
plan routes every MQL in time order.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from accord.accounts.domain import DEFAULT_HOURS, parse_hours
from accord.deals.domain import minor_units
from accord.demo.domain import people
from accord.demo.domain.workspace import CompanySeed, PersonSeed
from accord.lifecycle import routing
from accord.playbook.domain.routing import Routing

EURO = frozenset({"DE", "ES", "FR", "IE", "NL"})
# Touches a rep logs on a hand-off, by how it ended: (channel, outcome) and their weights.
ATTEMPTS = (("call", "no_answer", 40), ("call", "left_message", 30), ("email", "replied", 12),
            ("linkedin", "replied", 6), ("email", "bounced", 2))  # fmt: skip
CONNECTS = (("call", "connected", 55), ("meeting", "meeting_booked", 35), ("email", "replied", 10))
TOUCH_NOTES = {
    "left_message": "Left a voicemail with my direct line.",
    "connected": "Good first call; walked through their current process.",
    "meeting_booked": "Discovery call booked with the team.",
    "replied": "Replied by email; asked for a time next week.",
    "bounced": "Email bounced; trying the switchboard.",
}


@dataclass(frozen=True)
class Staff:
    """Who routing chooses among: the product's `routing.Team` by name and `routing.Rep` by id
    (counts zero: the desk adds them), with the ids of the demo users."""

    teams: Mapping[str, routing.Team]
    reps: Mapping[int, routing.Rep]
    user_ids: Mapping[str, int]  # email -> id
    zones: Mapping[int, str]  # rep id -> their team's time zone, as the product counts their days in

    def email(self, user_id: int | None) -> str | None:
        return next((e for e, i in self.user_ids.items() if i == user_id), None) if user_id is not None else None


def away_dates(email: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """When a demo user is away, around `today` (None, None: not away)."""
    days = people.AWAY.get(email)
    if days is None:
        return None, None
    return today + dt.timedelta(days=days[0]), today + dt.timedelta(days=days[1])


def staff(
    user_ids: Mapping[str, int],
    team_ids: Mapping[str, int],
    *,
    today: dt.date,
    away: Mapping[str, tuple[dt.date | None, dt.date | None]] | None = None,
) -> Staff:
    """The demo's teams and their members as routing sees them, with the given database ids;
    `away` (email -> from, until) as the users' rows hold it, else `people.AWAY` around `today`."""
    hours = parse_hours(DEFAULT_HOURS)  # the teams keep the default working hours
    teams = {
        t.name: routing.Team(
            id=team_ids[t.name], name=t.name, members=tuple(sorted(user_ids[e] for e in t.members)),
            manager_id=user_ids[t.manager], time_zone=t.time_zone, hours=hours,
        )
        for t in people.TEAMS
    }  # fmt: skip
    reps: dict[int, routing.Rep] = {}
    zones: dict[int, str] = {}
    for team in people.TEAMS:
        for email in team.members:
            away_from, away_until = away[email] if away is not None and email in away else away_dates(email, today)
            user = people.user(email)
            reps[user_ids[email]] = routing.Rep(
                id=user_ids[email], email=email, name=user.name, away_from=away_from, away_until=away_until
            )
            zones[user_ids[email]] = team.time_zone
    return Staff(teams=teams, reps=dict(sorted(reps.items())), user_ids=dict(user_ids), zones=zones)


def demo_staff(today: dt.date) -> Staff:
    """`staff` with ids by the cast's order: for plans made without a database."""
    user_ids = {u.email: n for n, u in enumerate(people.USERS, start=1)}
    team_ids = {t.name: n for n, t in enumerate(people.TEAMS, start=1)}
    return staff(user_ids, team_ids, today=today)


@dataclass
class TouchSeed:
    at: dt.datetime
    channel: str
    outcome: str
    note: str


@dataclass
class HandoffSeed:
    """One hand-off: opened and routed when the contact entered the MQL stage, ended by its rep."""

    at: dt.datetime  # when the contact became an MQL (and its owner got it)
    owner: str | None = None  # a rep's email; None: in the team's queue
    move: int = -1  # index of the move into MQL in the person's moves
    version: int = 0
    team: str = ""
    team_id: int | None = None
    rule: str = ""
    method: str = ""
    trace: dict[str, Any] = field(default_factory=dict)
    priority: str = ""
    quadrant: str = ""
    state: str = "open"  # open, accepted, rejected, recycled
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    to_stage: str = ""  # where the contact went when it ended
    reason: str = ""
    note: str = ""
    reengage_on: dt.date | None = None
    touches: list[TouchSeed] = field(default_factory=list)

    def close(
        self, state: str, at: dt.datetime, *, by: str, to_stage: str, reason: str = "", note: str = "",
        reengage_on: dt.date | None = None,
    ) -> None:  # fmt: skip
        self.state, self.closed_at, self.closed_by, self.to_stage = state, at, by, to_stage
        self.reason, self.note, self.reengage_on = reason, note, reengage_on


@dataclass
class DealSeed:
    name: str
    amount: int  # minor units of `currency`
    currency: str
    expected_close: dt.date
    owner: str  # a rep's email
    created_at: dt.datetime
    stage: str = "open"  # open, won, lost
    closed_at: dt.datetime | None = None
    loss_reason: str = ""
    loss_note: str = ""


class Desk:
    """Routes hand-offs with the product's rules, keeping the counts routing weighs as they stand
    at each moment. Hand-offs must be routed in time order; each one's end (`closed_at`) is set
    before a later one is routed."""

    def __init__(self, staff: Staff, prior: Sequence[HandoffSeed] = ()) -> None:
        self.staff = staff
        self.held: dict[int, list[HandoffSeed]] = {i: [] for i in staff.reps}
        self.open: dict[int, list[HandoffSeed]] = {i: [] for i in staff.reps}
        for handoff in sorted(prior, key=lambda h: h.at):
            owner = staff.user_ids.get(handoff.owner or "")
            if owner in self.held:
                self.held[owner].append(handoff)
                self.open[owner].append(handoff)

    def route(
        self, plan: Routing, *, facts: Mapping[str, Any], at: dt.datetime, quadrant: str, move: int, version: int
    ) -> HandoffSeed:
        owner_email = facts.get("account.owner")
        decision = routing.route(
            plan, facts=facts, teams=self.staff.teams, reps=self._reps(plan, at),
            account_owner_id=self.staff.user_ids.get(owner_email) if isinstance(owner_email, str) else None, now=at,
        )  # fmt: skip
        handoff = HandoffSeed(
            at=at, owner=self.staff.email(decision.owner_id), move=move, version=version, team=decision.team,
            team_id=decision.team_id, rule=decision.rule, method=decision.method.value, trace=decision.as_dict(),
            priority=plan.priority_of(quadrant or None), quadrant=quadrant,
        )  # fmt: skip
        if decision.owner_id is not None:
            self.held[decision.owner_id].append(handoff)
            self.open[decision.owner_id].append(handoff)
        return handoff

    def _reps(self, plan: Routing, at: dt.datetime) -> dict[int, routing.Rep]:
        """Each rep with the counts `lifecycle.handoffs.rep_counts` would read at `at`."""
        reps = {}
        for rep_id, rep in self.staff.reps.items():
            zone = self.staff.zones.get(rep_id, "UTC")
            day = _midnight(routing.local_day(at, zone), zone)
            period = _midnight(routing.period_start(at, plan.period, zone), zone)
            held = self.held[rep_id]
            still = [h for h in self.open[rep_id] if h.closed_at is None or h.closed_at > at]
            self.open[rep_id] = still  # later moments only: one closed now stays closed
            reps[rep_id] = replace(
                rep,
                assigned_today=sum(1 for h in held if h.at >= day),
                assigned_in_period=sum(1 for h in held if h.at >= period),
                open_handoffs=len(still),
                last_assigned_at=held[-1].at if held else None,
            )
        return reps


def _midnight(day: dt.date, time_zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(time_zone))


def currency(country: str) -> str:
    return "EUR" if country in EURO else "GBP" if country == "GB" else "USD"


def deal_terms(rng: random.Random, seed: PersonSeed, company: CompanySeed | None) -> tuple[str, int, str]:
    """The deal's name, amount (minor units) and currency: a yearly subscription sized by the
    account's employees, priced in the account's currency."""
    employees = company.employees if company else 10
    low, high, plan = (
        (6_000, 12_000, "Starter") if employees < 50 else (12_000, 30_000, "Growth") if employees < 200
        else (25_000, 80_000, "Business") if employees < 1000 else (60_000, 250_000, "Enterprise")
    )  # fmt: skip
    major = int(round(rng.uniform(low, high) / 500) * 500)
    code = currency(company.country if company else seed.country)
    buyer = company.name if company else f"{seed.first_name} {seed.last_name}"
    return f"{buyer} — {plan} annual", minor_units(major, code), code


def touches(rng: random.Random, handoff: HandoffSeed, *, now: dt.datetime) -> list[TouchSeed]:
    """The calls, emails and meetings the owner logged between routing and the hand-off's end."""
    if handoff.owner is None:
        return []
    end = handoff.closed_at or now
    span = (end - handoff.at).total_seconds()
    if span < 600 or rng.random() < 0.35:
        return []
    count = 1 + int(rng.random() * 3) if handoff.state != "rejected" else 1
    moments = sorted(handoff.at + dt.timedelta(seconds=rng.uniform(60, span - 60)) for _ in range(count))
    found = []
    for n, at in enumerate(moments):
        last = n == len(moments) - 1
        pool = CONNECTS if last and handoff.state == "accepted" else ATTEMPTS
        channel, outcome, _ = rng.choices(pool, weights=[w for *_, w in pool])[0]
        found.append(TouchSeed(at=at.replace(microsecond=0), channel=channel, outcome=outcome,
                               note=TOUCH_NOTES.get(outcome, "") if rng.random() < 0.5 else ""))  # fmt: skip
    return found
