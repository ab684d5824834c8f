"""Reporting periods and the arithmetic of commitments over them. Pure: no Django."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"  # Monday to Sunday
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date  # the first day
    end: dt.date  # the day after the last

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.DAY:
            return f"{self.start:%a %d %b %Y}"
        if self.kind is PeriodKind.WEEK:
            return f"Week of {self.start:%d %b %Y}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.start:%B %Y}"
        return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"

    @property
    def key(self) -> str:
        """What a URL carries: 2026-12-01 (the first day)."""
        return self.start.isoformat()

    def previous(self) -> Period:
        return period_of(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return period_of(self.kind, self.end)

    def day_list(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range(self.days)]


def period_of(kind: PeriodKind | str, day: dt.date) -> Period:
    """The period of `kind` that holds `day`."""
    kind = PeriodKind(kind)
    if kind is PeriodKind.DAY:
        return Period(kind, day, day + dt.timedelta(days=1))
    if kind is PeriodKind.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=7))
    first_month = day.month if kind is PeriodKind.MONTH else 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    months = 1 if kind is PeriodKind.MONTH else 3
    year, month = divmod(first_month - 1 + months, 12)
    return Period(kind, start, dt.date(day.year + year, month + 1, 1))


def prorated(amount: float, per: PeriodKind | str, over: Period) -> float:
    """A commitment of `amount` per `per` period, over the days of `over` (day by day, so a month's
    commitment over a week is 7 of that month's days' worth)."""
    total = 0.0
    for day in over.day_list():
        total += amount / period_of(per, day).days
    return round(total, 6)


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
