"""The SLA scoreboard: both sides of the agreement for one period, read from the history.

Sales, per rep and per team: hand-offs received, first touches met and breached (with the median
SLA time, in business minutes, and the median speed to lead, in wall time, split into the wait
before a rep had it and the rep's own time), touch and disposition milestones, and how the
hand-offs closed. Marketing: MQLs delivered against the commitment (cumulative, day by day, and by
source), the acceptance rate against its target, and why sales handed leads back, by source.

A milestone counts in the period its outcome fell in: met when it was met, breached when it fell
due. Everything is read from history that no longer changes once written: milestones once decided
(they keep who held them then), hand-off changes and stage changes, and hand-offs once closed, so
a past period shows the same figures whenever it is shown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Aggregate, Count, Field, FloatField, Func, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accord.accounts.models import Team, User
from accord.lifecycle.models import Handoff, HandoffChange, StageChange
from accord.playbook.domain.document import Playbook
from accord.reporting.domain import Period, prorated, rate
from accord.sla.models import Milestone

KINDS = (Milestone.Kind.FIRST_TOUCH, Milestone.Kind.TOUCHES, Milestone.Kind.DISPOSITION)


@dataclass
class Line:
    """One rep's or one team's sales side."""

    key: int | None
    name: str
    received: int = 0
    met: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    breached: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    sla_minutes: list[int] = field(default_factory=list)  # business minutes to each first touch
    speed_minutes: list[float] = field(default_factory=list)  # wall minutes, MQL to first touch
    wait_minutes: list[float] = field(default_factory=list)  # wall minutes, MQL to a rep having it
    closed: Counter[str] = field(default_factory=Counter)

    def attainment(self, kind: str = Milestone.Kind.FIRST_TOUCH) -> float | None:
        return rate(self.met[kind], self.met[kind] + self.breached[kind])

    @property
    def median_sla(self) -> float | None:
        return _median(self.sla_minutes)

    @property
    def median_speed(self) -> float | None:
        return _median(self.speed_minutes)

    @property
    def median_wait(self) -> float | None:
        return _median(self.wait_minutes)


def _median(values: list[int] | list[float]) -> float | None:
    """The median, or None of nothing; NumPy's, as a quarter's team holds tens of thousands."""
    return float(np.median(np.asarray(values, dtype=float))) if values else None


@dataclass
class Marketing:
    delivered: int
    commitment: float | None
    by_day: list[tuple[dt.date, int]]  # MQLs each day
    by_source: list[tuple[str, int]]
    accepted: int
    handed_back: int
    acceptance_target: float | None
    reasons: list[tuple[str, str, int]]  # (reason, source, hand-offs)

    @property
    def acceptance(self) -> float | None:
        return rate(self.accepted, self.accepted + self.handed_back)

    @property
    def delivery(self) -> float | None:
        return self.delivered / self.commitment if self.commitment else None

    def cumulative(self) -> list[tuple[dt.date, int]]:
        total, found = 0, []
        for day, n in self.by_day:
            total += n
            found.append((day, total))
        return found


@dataclass
class Scoreboard:
    period: Period
    reps: list[Line]
    teams: list[Line]
    total: Line
    marketing: Marketing


def bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period's first and last moments in the workspace's time zone (ACCORD_TIME_ZONE)."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(period.end, dt.time(), tzinfo=zone)
    return start, end


class Minutes(Func):
    """Wall minutes from `b` to `a` (two moments), never below zero, as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            # CASE, not GREATEST: GREATEST ignores a null, and a missing moment must stay missing
            template=(
                "(CASE WHEN %(expressions)s < INTERVAL '0' THEN 0.0"
                " ELSE EXTRACT(EPOCH FROM (%(expressions)s)) / 60.0 END)::float8"
            ),
            arg_joiner=" - ",
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "MAX(0.0, (julianday(%(expressions)s)) * 1440.0)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(")


class Gathered(Aggregate):
    """The group's non-null values in one column: an array on PostgreSQL, a comma-joined text on SQLite.

    A report that needs every value of a group (for a median) reads one row per group instead of
    one per value; `numbers` turns either form into a list.
    """

    function = "ARRAY_AGG"
    output_field = Field()  # no converter: the driver's list, or SQLite's text

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def numbers(gathered: Any, kind: type[int] | type[float]) -> list[Any]:
    """The values of a `Gathered` column, without the nulls a group may hold."""
    if gathered is None:
        return []
    if isinstance(gathered, str):
        return [kind(v) for v in gathered.split(",") if v]
    values = list(gathered)  # the driver's list already holds numbers of the column's type
    return values if None not in values else [v for v in values if v is not None]


def scoreboard(period: Period, *, playbook: Playbook) -> Scoreboard:
    start, end = bounds(period)
    reps: dict[int | None, Line] = {}
    teams: dict[int | None, Line] = {}
    total = Line(None, "Sales")

    def lines(owner: int | None, team: int | None) -> tuple[Line, Line, Line]:
        rep = reps.get(owner)
        if rep is None:
            rep = reps[owner] = Line(owner, "")
        group = teams.get(team)
        if group is None:
            group = teams[team] = Line(team, "")
        return rep, group, total

    # milestones decided in the period: met when they were done, breached when they fell due
    # and the business minutes to each first touch done in the period (met or late), gathered per rep and team
    done = Q(completed_at__gte=start, completed_at__lt=end)
    met = Q(done, state=Milestone.State.MET)
    breached = Q(state=Milestone.State.BREACHED, breached_at__gte=start, breached_at__lt=end)
    timed = Q(done, kind=Milestone.Kind.FIRST_TOUCH, elapsed_minutes__isnull=False)
    decided = (
        Milestone.objects.filter(done | breached)
        .values_list("owner_id", "team_id", "kind")
        .annotate(
            met=Count("pk", filter=met),
            breached=Count("pk", filter=breached),
            minutes=Gathered("elapsed_minutes", filter=timed),
        )
    )
    for owner, team, kind, n_met, n_breached, values in decided:
        minutes = numbers(values, int)
        for line in lines(owner, team):
            line.met[kind] += n_met
            line.breached[kind] += n_breached
            line.sla_minutes.extend(minutes)
    # speed to lead: MQL → first touch in wall minutes, for first touches in the period; and the wait before a
    # rep had it (none while the hand-off sat in a team queue)
    touched = (
        Handoff.objects.filter(first_touch_at__gte=start, first_touch_at__lt=end)
        .values_list("owner_id", "team_id")
        .annotate(
            speed=Gathered(Minutes("first_touch_at", "created_at")),
            wait=Gathered(Minutes("assigned_at", "created_at")),
        )
    )
    for owner, team, speed, wait in touched:
        walls, waits = numbers(speed, float), numbers(wait, float)
        for line in lines(owner, team):
            line.speed_minutes.extend(walls)
            line.wait_minutes.extend(waits)
    # received: routed to or reassigned to a rep in the period
    given = (
        HandoffChange.objects.filter(
            at__gte=start, at__lt=end, kind__in=[HandoffChange.Kind.ROUTED, HandoffChange.Kind.REASSIGNED]
        )
        .values_list("to_owner_id", "handoff__team_id")
        .annotate(n=Count("pk"))
    )
    for owner, team, n in given:
        for line in lines(owner, team):
            line.received += n
    # how the period's hand-offs closed, and why those handed back were, by the contact's first source
    closed = (
        Handoff.objects.filter(closed_at__gte=start, closed_at__lt=end)
        .values_list("owner_id", "team_id", "state", "reason", "contact__first_source")
        .annotate(n=Count("pk"))
    )
    reasons: Counter[tuple[str, str]] = Counter()
    for owner, team, state, reason, source, n in closed:
        for line in lines(owner, team):
            line.closed[state] += n
        if state in (Handoff.State.REJECTED, Handoff.State.RECYCLED):
            reasons[reason or "—", source or "direct"] += n
    _name(reps, teams)
    return Scoreboard(
        period=period,
        reps=sorted((r for r in reps.values() if r.key is not None), key=lambda r: r.name.lower()),
        teams=sorted(teams.values(), key=lambda t: (t.key is None, t.name.lower())),
        total=total,
        marketing=_marketing(period, start, end, playbook, closed_by_state=total.closed, reasons=reasons),
    )


def _name(reps: dict[int | None, Line], teams: dict[int | None, Line]) -> None:
    people = {u.pk: u for u in User.objects.filter(pk__in=[k for k in reps if k is not None])}
    for key, line in reps.items():
        user = people.get(key) if key is not None else None
        line.name = (user.name or user.email) if user else "Team queue"
    names = dict(Team.objects.filter(pk__in=[k for k in teams if k is not None]).values_list("pk", "name"))
    for key, line in teams.items():
        line.name = names.get(key, "No team") if key is not None else "No team"


def _marketing(
    period: Period,
    start: dt.datetime,
    end: dt.datetime,
    playbook: Playbook,
    *,
    closed_by_state: Counter[str],
    reasons: Counter[tuple[str, str]],
) -> Marketing:
    """Marketing's side; how the period's hand-offs closed and why they came back were read with sales' side."""
    mql = playbook.mql_stage
    terms = playbook.sla.marketing
    moves = (
        StageChange.objects.filter(at__gte=start, at__lt=end, to_stage=mql.key if mql else "")
        .annotate(day=TruncDate("at", tzinfo=timezone.get_default_timezone()))
        .values_list("day", "contact__first_source")
        .annotate(n=Count("pk"))
    )
    per_day: Counter[dt.date] = Counter()
    per_source: Counter[str] = Counter()
    for day, source, n in moves:
        per_day[day] += n
        per_source[source or "direct"] += n
    by_day = [(day, per_day.get(day, 0)) for day in period.day_list()]
    states = closed_by_state
    commitment = prorated(terms.mqls, terms.period, period) if terms.mqls is not None else None
    return Marketing(
        delivered=sum(n for _, n in by_day),
        commitment=commitment,
        by_day=by_day,
        by_source=sorted(per_source.items(), key=lambda item: (-item[1], item[0])),
        accepted=states.get(Handoff.State.ACCEPTED, 0),
        handed_back=states.get(Handoff.State.REJECTED, 0) + states.get(Handoff.State.RECYCLED, 0),
        acceptance_target=terms.min_acceptance_rate,
        reasons=[(reason, source, n) for (reason, source), n in sorted(reasons.items(), key=lambda i: (-i[1], i[0]))],
    )
