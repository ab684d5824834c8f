"""Reporting periods: each day lies in exactly one period of each kind, and commitments prorate."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.reporting.domain import PeriodKind, period_of, prorated


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "label"),
    [
        ("day", "2026-12-04", "2026-12-04", "2026-12-05", "Fri 04 Dec 2026"),
        ("week", "2026-12-04", "2026-11-30", "2026-12-07", "Week of 30 Nov 2026"),
        ("month", "2026-12-04", "2026-12-01", "2027-01-01", "December 2026"),
        ("quarter", "2026-12-04", "2026-10-01", "2027-01-01", "Q4 2026"),
        ("quarter", "2026-01-01", "2026-01-01", "2026-04-01", "Q1 2026"),
        ("month", "2028-02-10", "2028-02-01", "2028-03-01", "February 2028"),
    ],
)
def test_periods(kind: str, day: str, start: str, end: str, label: str) -> None:
    period = period_of(kind, dt.date.fromisoformat(day))
    assert (period.start.isoformat(), period.end.isoformat(), period.label) == (start, end, label)


@given(st.sampled_from(list(PeriodKind)), st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)))
def test_a_day_lies_in_its_period_and_periods_tile(kind: PeriodKind, day: dt.date) -> None:
    period = period_of(kind, day)
    assert period.start <= day < period.end
    assert period.next().start == period.end and period.previous().end == period.start
    assert period_of(kind, period.end - dt.timedelta(days=1)) == period


def test_commitments_prorate_day_by_day() -> None:
    december = period_of("month", dt.date(2026, 12, 1))
    assert prorated(120, "month", december) == pytest.approx(120)
    assert prorated(120, "month", period_of("week", dt.date(2026, 12, 9))) == pytest.approx(120 * 7 / 31)
    # a week across two months takes each day from its own month
    across = period_of("week", dt.date(2026, 11, 30))  # Mon 30 Nov – Sun 6 Dec
    assert prorated(120, "month", across) == pytest.approx(120 / 30 + 120 * 6 / 31)
    assert prorated(10, "week", period_of("quarter", dt.date(2026, 10, 1))) == pytest.approx(10 * 92 / 7)
