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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from django.db.models import Count, FloatField, Func, Q
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
        return median(self.sla_minutes) if self.sla_minutes else None

    @property
    def median_speed(self) -> float | None:
        return median(self.speed_minutes) if self.speed_minutes else None

    @property
    def median_wait(self) -> float | None:
        return median(self.wait_minutes) if self.wait_minutes else None


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


class Seconds(Func):
    """Seconds from `b` to `a` (two moments), as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday("
        )


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
    decided = (
        Milestone.objects.filter(
            Q(state=Milestone.State.MET, completed_at__gte=start, completed_at__lt=end)
            | Q(state=Milestone.State.BREACHED, breached_at__gte=start, breached_at__lt=end)
        )
        .values_list("owner_id", "team_id", "kind", "state")
        .annotate(n=Count("pk"))
    )
    for owner, team, kind, state, n in decided:
        for line in lines(owner, team):
            (line.met if state == Milestone.State.MET else line.breached)[kind] += n
    # business minutes to each first touch done in the period (met or late)
    minutes: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
    for owner, team, used in Milestone.objects.filter(
        kind=Milestone.Kind.FIRST_TOUCH, completed_at__gte=start, completed_at__lt=end, elapsed_minutes__isnull=False
    ).values_list("owner_id", "team_id", "elapsed_minutes"):
        minutes[owner, team].append(used or 0)
    for (owner, team), values in minutes.items():
        for line in lines(owner, team):
            line.sla_minutes.extend(values)
    # speed to lead: MQL → first touch in wall time, for first touches in the period; and the wait before a rep had it
    speeds: dict[tuple[int | None, int | None], list[float]] = defaultdict(list)
    waits: dict[tuple[int | None, int | None], list[float]] = defaultdict(list)
    touched = (
        Handoff.objects.filter(first_touch_at__gte=start, first_touch_at__lt=end)
        .annotate(speed=Seconds("first_touch_at", "created_at"), wait=Seconds("assigned_at", "created_at"))
        .values_list("owner_id", "team_id", "speed", "wait")
    )
    for owner, team, speed, wait in touched:
        speeds[owner, team].append(max(0.0, speed / 60))
        if wait is not None:
            waits[owner, team].append(max(0.0, wait / 60))
    for (owner, team), walls in speeds.items():
        for line in lines(owner, team):
            line.speed_minutes.extend(walls)
    for (owner, team), walls in waits.items():
        for line in lines(owner, team):
            line.wait_minutes.extend(walls)
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
    closed = (
        Handoff.objects.filter(closed_at__gte=start, closed_at__lt=end)
        .values_list("owner_id", "team_id", "state")
        .annotate(n=Count("pk"))
    )
    for owner, team, state, n in closed:
        for line in lines(owner, team):
            line.closed[state] += n
    _name(reps, teams)
    return Scoreboard(
        period=period,
        reps=sorted((r for r in reps.values() if r.key is not None), key=lambda r: r.name.lower()),
        teams=sorted(teams.values(), key=lambda t: (t.key is None, t.name.lower())),
        total=total,
        marketing=_marketing(period, start, end, playbook, closed_by_state=total.closed),
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
    period: Period, start: dt.datetime, end: dt.datetime, playbook: Playbook, *, closed_by_state: Counter[str]
) -> Marketing:
    """Marketing's side; `closed_by_state` is how the period's hand-offs closed (sales' total, read already)."""
    mql = playbook.mql_stage
    terms = playbook.sla.marketing
    moves = StageChange.objects.filter(at__gte=start, at__lt=end, to_stage=mql.key if mql else "")
    per_day = dict(
        moves.annotate(day=TruncDate("at", tzinfo=timezone.get_default_timezone()))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    by_day = [(day, per_day.get(day, 0)) for day in period.day_list()]
    by_source = list(moves.values_list("contact__first_source").annotate(n=Count("pk")).order_by("-n"))
    closed = Handoff.objects.filter(closed_at__gte=start, closed_at__lt=end)
    states = closed_by_state
    back = closed.filter(state__in=[Handoff.State.REJECTED, Handoff.State.RECYCLED])
    reasons = [
        (reason or "—", source or "direct", n)
        for reason, source, n in back.values_list("reason", "contact__first_source")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")
    ]
    commitment = prorated(terms.mqls, terms.period, period) if terms.mqls is not None else None
    return Marketing(
        delivered=sum(n for _, n in by_day),
        commitment=commitment,
        by_day=by_day,
        by_source=[(s or "direct", n) for s, n in by_source],
        accepted=states.get(Handoff.State.ACCEPTED, 0),
        handed_back=states.get(Handoff.State.REJECTED, 0) + states.get(Handoff.State.RECYCLED, 0),
        acceptance_target=terms.min_acceptance_rate,
        reasons=reasons,
    )
