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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Aggregate, Count, DateField, Field, FloatField, Func, Q, Value
from django.db.models.functions import Round, TruncDate
from django.utils import timezone

from accord.accounts.models import Team, User
from accord.lifecycle.models import Handoff, HandoffChange, StageChange
from accord.playbook.domain.document import Playbook
from accord.reporting.domain import Period, prorated, rate
from accord.sla.models import Milestone

KINDS = (Milestone.Kind.FIRST_TOUCH, Milestone.Kind.TOUCHES, Milestone.Kind.DISPOSITION)


class Spread:
    """How many times each whole number of minutes was seen: added to in bulk (a quarter's team
    holds tens of thousands), read as counts, a median or every value in order."""

    __slots__ = ("_dense", "_packed", "_values")

    def __init__(self) -> None:
        self._values: list[float] = []  # each seen once
        self._packed: list[bytes] = []  # (minutes, times) pairs, as `packed` writes them
        self._dense: np.ndarray[Any, np.dtype[np.int64]] | None = None

    def add_values(self, values: Iterable[float]) -> None:
        self._values.extend(values)
        self._dense = None

    def add_packed(self, packed: bytes) -> None:
        """Add (minutes, times) pairs, as `packed` wrote them."""
        self._packed.append(packed)
        self._dense = None

    def add(self, other: Spread) -> None:
        self._values.extend(other._values)
        self._packed.extend(other._packed)
        self._dense = None

    def dense(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """times[m]: how often m minutes was seen."""
        if self._dense is None:
            seen = np.clip(np.rint(np.asarray(self._values, dtype=float)), 0, None).astype(np.int64)
            pairs = np.frombuffer(b"".join(self._packed), dtype="<i4").reshape(-1, 2).astype(np.int64)
            size = int(max(seen.max(initial=-1), pairs[:, 0].max(initial=-1))) + 1
            dense = np.bincount(seen, minlength=size)
            if len(pairs):
                dense = dense + np.bincount(pairs[:, 0], weights=pairs[:, 1], minlength=size).astype(np.int64)
            self._dense = dense
        return self._dense

    def packed(self) -> bytes:
        """(minutes, times) rows as little-endian 32-bit pairs: what a rollup keeps."""
        dense = self.dense()
        found = np.flatnonzero(dense)
        return np.column_stack([found, dense[found]]).astype("<i4").tobytes()

    def counts(self) -> Counter[int]:
        dense = self.dense()
        return Counter({int(m): int(dense[m]) for m in np.flatnonzero(dense)})

    def values(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Every value seen, in order: what a median or a box is worked out from."""
        dense = self.dense()
        return np.repeat(np.arange(len(dense), dtype=float), dense)

    def __bool__(self) -> bool:
        return bool(self._values) or any(self._packed)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Spread):
            return self.counts() == other.counts()
        return isinstance(other, dict) and self.counts() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Spread({dict(self.counts())})"


@dataclass
class Line:
    """One rep's or one team's sales side."""

    key: int | None
    name: str
    received: int = 0
    met: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    breached: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    sla_minutes: Spread = field(default_factory=Spread)  # business minutes to each first touch
    speed_minutes: Spread = field(default_factory=Spread)  # wall minutes (whole), MQL to first touch
    wait_minutes: Spread = field(default_factory=Spread)  # wall minutes (whole), MQL to a rep having it
    closed: Counter[str] = field(default_factory=Counter)

    def add(self, other: Line) -> None:
        """Count another line's facts into this one."""
        self.received += other.received
        for kind, n in other.met.items():
            self.met[kind] = self.met.get(kind, 0) + n
        for kind, n in other.breached.items():
            self.breached[kind] = self.breached.get(kind, 0) + n
        self.sla_minutes.add(other.sla_minutes)
        self.speed_minutes.add(other.speed_minutes)
        self.wait_minutes.add(other.wait_minutes)
        self.closed.update(other.closed)

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


def _median(spread: Spread) -> float | None:
    """The median, or None of nothing."""
    return float(np.median(spread.values())) if spread else None


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


@dataclass
class Day:
    """Marketing's facts of one day (or of a whole stretch, when read without days)."""

    moves: Counter[tuple[str, str]] = field(default_factory=Counter)  # stage moves by (stage, first source)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)  # hand-backs by (reason, source)


# Where facts go as they are read: the lines of (day, rep, team) and marketing's day. Read live,
# the day is None and the lines are the rep's, the team's and the total; rolled up, one line a
# (day, rep, team).
Lines = Callable[[dt.date | None, int | None, int | None], Iterable[Line]]
Days = Callable[[dt.date | None], Day]


def _day(column: str, by_day: bool) -> Any:
    if not by_day:
        return Value(None, output_field=DateField())
    return TruncDate(column, tzinfo=timezone.get_default_timezone())


def read(
    start: dt.datetime, end: dt.datetime, *, by_day: bool, lines: Lines, days: Days, stages: list[str] | None
) -> None:
    """Every fact of the scoreboard from `start` to `end`, read from the history into `lines` and
    `days`: the one statement of what counts, for the live board and for the settled days' rollups.
    Moves into `stages` are counted (every stage's, for None: a rollup outlives a playbook version)."""
    # milestones decided: met when they were done, breached when they fell due; and the business
    # minutes to each first touch done (met or late)
    done = Q(completed_at__gte=start, completed_at__lt=end)
    met = Q(done, state=Milestone.State.MET)
    breached = Q(state=Milestone.State.BREACHED, breached_at__gte=start, breached_at__lt=end)
    timed = Q(done, kind=Milestone.Kind.FIRST_TOUCH, elapsed_minutes__isnull=False)
    decided = (
        Milestone.objects.filter(done | breached)
        .values_list("owner_id", "team_id", "kind")
        .annotate(
            done_on=_day("completed_at", by_day),
            breached_on=_day("breached_at", by_day),
            met=Count("pk", filter=met),
            breached=Count("pk", filter=breached),
            minutes=Gathered("elapsed_minutes", filter=timed),
        )
    )
    for owner, team, kind, done_on, breached_on, n_met, n_breached, values in decided:
        minutes = numbers(values, int)
        if n_met or minutes:
            for line in lines(done_on, owner, team):
                line.met[kind] += n_met
                line.sla_minutes.add_values(minutes)
        if n_breached:
            for line in lines(breached_on, owner, team):
                line.breached[kind] += n_breached
    # speed to lead: MQL → first touch in whole wall minutes, for first touches made; and the wait
    # before a rep had it (none while the hand-off sat in a team queue)
    touched = (
        Handoff.objects.filter(first_touch_at__gte=start, first_touch_at__lt=end)
        .values_list("owner_id", "team_id")
        .annotate(
            day=_day("first_touch_at", by_day),
            speed=Gathered(Round(Minutes("first_touch_at", "created_at"))),
            wait=Gathered(Round(Minutes("assigned_at", "created_at"))),
        )
    )
    for owner, team, day, speed, wait in touched:
        walls, waits = numbers(speed, float), numbers(wait, float)
        for line in lines(day, owner, team):
            line.speed_minutes.add_values(walls)
            line.wait_minutes.add_values(waits)
    # received: routed to or reassigned to a rep
    given = (
        HandoffChange.objects.filter(
            at__gte=start, at__lt=end, kind__in=[HandoffChange.Kind.ROUTED, HandoffChange.Kind.REASSIGNED]
        )
        .values_list("to_owner_id", "handoff__team_id")
        .annotate(day=_day("at", by_day), n=Count("pk"))
    )
    for owner, team, day, n in given:
        for line in lines(day, owner, team):
            line.received += n
    # how hand-offs closed, and why those handed back were, by the contact's first source
    closed = (
        Handoff.objects.filter(closed_at__gte=start, closed_at__lt=end)
        .values_list("owner_id", "team_id", "state", "reason", "contact__first_source")
        .annotate(day=_day("closed_at", by_day), n=Count("pk"))
    )
    for owner, team, state, reason, source, day, n in closed:
        for line in lines(day, owner, team):
            line.closed[state] += n
        if state in (Handoff.State.REJECTED, Handoff.State.RECYCLED):
            days(day).reasons[reason or "—", source or "direct"] += n
    # MQLs delivered, each day (marketing's chart is day by day), by the contact's first source
    moves = StageChange.objects.filter(at__gte=start, at__lt=end)
    if stages is not None:
        moves = moves.filter(to_stage__in=stages)
    counted = (
        moves.annotate(day=TruncDate("at", tzinfo=timezone.get_default_timezone()))
        .values_list("day", "to_stage", "contact__first_source")
        .annotate(n=Count("pk"))
    )
    for day, stage, source, n in counted:
        days(day).moves[stage, source or "direct"] += n


def scoreboard(period: Period, *, playbook: Playbook) -> Scoreboard:
    reps: dict[int | None, Line] = {}
    teams: dict[int | None, Line] = {}
    total = Line(None, "Sales")
    marketing: dict[dt.date | None, Day] = {}

    def lines(_day: dt.date | None, owner: int | None, team: int | None) -> tuple[Line, Line, Line]:
        rep = reps.get(owner)
        if rep is None:
            rep = reps[owner] = Line(owner, "")
        group = teams.get(team)
        if group is None:
            group = teams[team] = Line(team, "")
        return rep, group, total

    def days(day: dt.date | None) -> Day:
        found = marketing.get(day)
        if found is None:
            found = marketing[day] = Day()
        return found

    from accord.reporting import rollups  # the settled days' rollups, read into the same lines

    mql = playbook.mql_stage
    stages = [mql.key] if mql else []
    for live_start, live_end in rollups.read_settled(period, lines=lines, days=days):
        read(live_start, live_end, by_day=False, lines=lines, days=days, stages=stages)
    _name(reps, teams)
    return Scoreboard(
        period=period,
        reps=sorted((r for r in reps.values() if r.key is not None), key=lambda r: r.name.lower()),
        teams=sorted(teams.values(), key=lambda t: (t.key is None, t.name.lower())),
        total=total,
        marketing=_marketing(period, playbook, closed_by_state=total.closed, days=marketing, mql=stages),
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
    playbook: Playbook,
    *,
    closed_by_state: Counter[str],
    days: dict[dt.date | None, Day],
    mql: list[str],
) -> Marketing:
    """Marketing's side; how the period's hand-offs closed and why they came back were read with sales' side."""
    terms = playbook.sla.marketing
    per_source: Counter[str] = Counter()
    per_day: Counter[dt.date | None] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    for on, day in days.items():
        for (stage, source), n in day.moves.items():
            if stage in mql:
                per_source[source] += n
                per_day[on] += n
        reasons.update(day.reasons)
    by_day = [(d, per_day.get(d, 0)) for d in period.day_list()]
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
