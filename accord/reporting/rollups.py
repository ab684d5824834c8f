"""The scoreboard's settled days, rolled up (docs/adr/0021).

A day is settled once the workspace's today is past it: its facts are read once, by
the scoreboard's own `read`, and kept a row per (day, rep, team) in `ScoreDay`. The scoreboard
reads the settled days of a period from there and everything else live, so any period shows the
same figures either way (a property test holds the two together).

History can still reach a settled day: an import of old stage moves, a touch logged late, a sweep
that ran late, a reassignment that moves whose a past first touch was. Every such change writes a
history row (`StageChange`, `HandoffChange`, `SlaEvent`), and history rows only ever get higher ids.
So the scoreboard reads live every day that a row newer than the build before last tells of (the
day of the row, and the day of its hand-off's first touch), and the next build rebuilds those days.
Reading from the build before last, not the last, catches a transaction that committed after a
build had begun with lower ids than the build saw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from accord.core import bulk, clock
from accord.lifecycle.models import Handoff, HandoffChange, StageChange
from accord.reporting.domain import Period
from accord.reporting.models import ScoreDay, ScoreRollup
from accord.reporting.scoreboard import KINDS, Day, Line, Lines, read
from accord.sla.models import SlaEvent

SETTLE_DAYS = 1  # today is always read live
HISTORY: dict[str, type[StageChange] | type[HandoffChange] | type[SlaEvent]] = {
    "stage_change": StageChange,
    "handoff_change": HandoffChange,
    "sla_event": SlaEvent,
}
CHUNK = 31  # days read at once when building


FORMAT = 3  # the shape of `ScoreDay.facts`: a build under another throws the rows away and starts again


def _zone_name() -> str:
    """What the days were cut by: the workspace's time zone, and the facts' format."""
    return f"{timezone.get_default_timezone()} (format {FORMAT})"


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_default_timezone())


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(timezone.get_default_timezone()).date()


def _runs(days: Iterable[dt.date], *, most: int | None = None) -> list[tuple[dt.date, dt.date]]:
    """Contiguous runs of days, each as (first, last), at most `most` days long."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + dt.timedelta(days=1) and (most is None or (day - runs[-1][0]).days < most):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def changed_days(since: dict[str, int]) -> set[dt.date]:
    """The days that history rows after `since` (ids by table) tell of: each row's own day, and the
    day of its hand-off's first touch (whose owner a reassignment changes)."""
    zone = timezone.get_default_timezone()
    days: set[dt.date] = set()
    handoffs: set[int] = set()
    for name, model in HISTORY.items():
        newer = model.objects.filter(pk__gt=since.get(name, 0))
        days.update(newer.annotate(day=TruncDate("at", tzinfo=zone)).values_list("day", flat=True).distinct())
    for model, name in ((HandoffChange, "handoff_change"), (SlaEvent, "sla_event")):
        later = model.objects.filter(pk__gt=since.get(name, 0))
        handoffs.update(later.values_list("handoff_id", flat=True).distinct())
    if handoffs:
        touched = Handoff.objects.filter(pk__in=handoffs, first_touch_at__isnull=False)
        days.update(touched.annotate(day=TruncDate("first_touch_at", tzinfo=zone)).values_list("day", flat=True))
    return {d for d in days if d is not None}


def read_settled(
    period: Period, *, lines: Lines, days: Callable[[dt.date | None], Day]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Read the period's settled days from their rollups into `lines` and `days`; the stretches
    (start, end) left to read live."""
    everything = period.day_list()
    state = ScoreRollup.objects.first()
    settled: set[dt.date] = set()
    if state is not None and state.through is not None and state.zone == _zone_name():
        last = min(state.through, _today(clock.now()) - dt.timedelta(days=SETTLE_DAYS))
        candidates = {d for d in everything if d <= last}
        if candidates:
            settled = candidates - changed_days(state.previous)
    if settled:
        within = ScoreDay.objects.filter(day__gte=min(settled), day__lte=max(settled))
        for day, facts in within.filter(key="marketing").values_list("day", "facts"):
            if day in settled:
                _add_day(days(day), facts)
        # each (rep, team)'s packed counts and minutes gathered, summed at once, told to `lines` once
        cells: dict[tuple[int | None, int | None], tuple[list[bytes], ...]] = {}
        rows = within.exclude(key="marketing").values_list(
            "day", "owner_id", "team_id", "counts", "sla", "speed", "wait"
        )
        for day, owner, team, *packed in rows:
            if day not in settled:
                continue
            cell = cells.get((owner, team))
            if cell is None:
                cell = cells[owner, team] = ([], [], [], [])
            for into, data in zip(cell, packed, strict=True):
                into.append(bytes(data))
        for (owner, team), (counts, sla, speed, wait) in cells.items():
            cell_line = _line_of(owner, counts, (sla, speed, wait))
            for line in lines(None, owner, team):
                line.add(cell_line)
    live = [d for d in everything if d not in settled]
    return [(_start(first), _start(last + dt.timedelta(days=1))) for first, last in _runs(live)]


# The counts a rep and team's rollup row keeps, in order.
STATES = tuple(state.value for state in Handoff.State)
COUNTS = (
    ("received", ""),
    *(("met", kind) for kind in KINDS),
    *(("breached", kind) for kind in KINDS),
    *(("closed", state) for state in STATES),
)


def _line_of(owner: int | None, counts: list[bytes], minutes: tuple[list[bytes], ...]) -> Line:
    """A line of the rows' packed counts and minutes, summed."""
    line = Line(owner, "")
    summed = np.frombuffer(b"".join(counts), dtype="<i4").reshape(-1, len(COUNTS)).sum(axis=0, dtype=np.int64)
    for (name, key), n in zip(COUNTS, summed.tolist(), strict=True):
        if name == "received":
            line.received = n
        elif name == "met":
            line.met[key] = n
        elif name == "breached":
            line.breached[key] = n
        elif n:
            line.closed[key] = n
    for spread, packed in zip((line.sla_minutes, line.speed_minutes, line.wait_minutes), minutes, strict=True):
        spread.add_packed(b"".join(packed))
    return line


def _packed_counts(line: Line) -> bytes:
    values = []
    for name, key in COUNTS:
        if name == "received":
            values.append(line.received)
        else:
            values.append({"met": line.met, "breached": line.breached, "closed": line.closed}[name].get(key, 0))
    return np.asarray(values, dtype="<i4").tobytes()


def _add_day(day: Day, facts: dict[str, Any]) -> None:
    for stage, source, n in facts.get("moves", []):
        day.moves[stage, source] += n
    for reason, source, n in facts.get("reasons", []):
        day.reasons[reason, source] += n


def rollup_build(
    *, now: dt.datetime | None = None, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Roll up the days settled since the last build and rebuild those that changed; how many
    days were built and how many rows written. Safe to run twice at once: the second waits."""
    now = now or clock.now()
    last = _today(now) - dt.timedelta(days=SETTLE_DAYS)
    with transaction.atomic():
        state, _ = ScoreRollup.objects.select_for_update().get_or_create(pk=1, defaults={"zone": _zone_name()})
        marks = {name: model.objects.aggregate(m=Max("pk"))["m"] or 0 for name, model in HISTORY.items()}
        through = state.through if state.zone == _zone_name() else None
        wanted: set[dt.date] = set()
        if through is None:
            first = _first_day()
            if first is not None:
                wanted = {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}
            ScoreDay.objects.all().delete()
        else:
            wanted = {through + dt.timedelta(days=n + 1) for n in range((last - through).days)}
            wanted |= {d for d in changed_days(state.previous) if d <= last}
        runs = _runs(wanted, most=CHUNK)
        written = 0
        for done, (first_day, last_day) in enumerate(runs, start=1):
            written += _build(first_day, last_day)
            if progress:
                progress(done, len(runs))
        state.through = last if through is None else max(last, through)
        state.previous, state.marks = (marks if through is None else state.marks), marks
        state.zone = _zone_name()
        state.built_at = now
        state.save()
    return {"days": len(wanted), "rows": written}


def _first_day() -> dt.date | None:
    zone = timezone.get_default_timezone()
    firsts = [model.objects.aggregate(m=Min("at"))["m"] for model in HISTORY.values()]
    found = [f.astimezone(zone).date() for f in firsts if f is not None]
    return min(found) if found else None


def _build(first: dt.date, last: dt.date) -> int:
    """Read the days from `first` to `last` and write their rows in place of what was there."""
    lines: dict[tuple[dt.date, int | None, int | None], Line] = {}
    days: dict[dt.date, Day] = {}

    def line(day: dt.date | None, owner: int | None, team: int | None) -> tuple[Line]:
        assert day is not None
        found = lines.get((day, owner, team))
        if found is None:
            found = lines[day, owner, team] = Line(owner, "")
        return (found,)

    def day_of(day: dt.date | None) -> Day:
        assert day is not None
        return days.setdefault(day, Day())

    read(_start(first), _start(last + dt.timedelta(days=1)), by_day=True, lines=line, days=day_of, stages=None)
    rows: list[dict[str, Any]] = []
    for (day, owner, team), found in lines.items():
        sla, speed, wait = (spread.packed() for spread in (found.sla_minutes, found.speed_minutes, found.wait_minutes))
        rows.append(
            {
                "day": day,
                "key": f"sales:{owner or ''}:{team or ''}",
                "owner_id": owner,
                "team_id": team,
                "facts": {},
                "counts": _packed_counts(found),
                "sla": sla,
                "speed": speed,
                "wait": wait,
            }
        )
    for day, market in days.items():
        facts = {
            "moves": [[stage, source, n] for (stage, source), n in sorted(market.moves.items())],
            "reasons": [[reason, source, n] for (reason, source), n in sorted(market.reasons.items())],
        }
        rows.append(
            {
                "day": day,
                "key": "marketing",
                "owner_id": None,
                "team_id": None,
                "facts": facts,
                "counts": b"",
                "sla": b"",
                "speed": b"",
                "wait": b"",
            }
        )
    ScoreDay.objects.filter(day__gte=first, day__lte=last).delete()
    bulk.insert_rows(ScoreDay, rows)
    return len(rows)
