"""Business-hours arithmetic: open time between two moments, and when N open minutes run out.

Hand-computed cases first (weekends, holidays, closures, both DST changes, starts outside hours,
targets spanning weeks), then properties checked against a minute-by-minute oracle that reads a
calendar the slow way: a moment is open when it lies between the first moments whose wall-clock
reading reaches a day's opening and closing times.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accord.accounts.domain import DAYS, parse_hours
from accord.sla.domain import (
    HORIZON,
    Calendar,
    CalendarError,
    add,
    add_days,
    elapsed,
    instant,
    is_open,
    next_open,
    parse_calendar,
    spans,
)

UTC = dt.UTC
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def cal(time_zone: str = "UTC", hours: str = "09:00-17:00", days=WEEKDAYS, **extra) -> Calendar:
    opens, closes = hours.split("-")
    return parse_calendar({"time_zone": time_zone, "hours": {d: [[opens, closes]] for d in days}, **extra})


def at(text: str, zone: str = "UTC") -> dt.datetime:
    """A moment from a wall time in `zone` ('2026-03-02 09:00'), in UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


# --- hand-computed --------------------------------------------------------------------------------

NINE_TO_FIVE = cal()


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-03-02 10:00", 2, "2026-03-02 12:00"),  # Monday, inside hours
        ("2026-03-02 16:00", 2, "2026-03-03 10:00"),  # runs over the evening
        ("2026-03-02 07:00", 1, "2026-03-02 10:00"),  # starts before opening
        ("2026-03-02 20:00", 1, "2026-03-03 10:00"),  # starts after closing
        ("2026-03-06 16:00", 2, "2026-03-09 10:00"),  # Friday → Monday, over the weekend
        ("2026-03-07 12:00", 1, "2026-03-09 10:00"),  # starts on a Saturday
        ("2026-03-02 09:00", 8, "2026-03-02 17:00"),  # exactly one working day ends at closing
        ("2026-03-02 09:00", 40, "2026-03-06 17:00"),  # a working week
        ("2026-03-02 09:00", 120, "2026-03-20 17:00"),  # three weeks
        ("2026-03-02 12:00", 0, "2026-03-02 12:00"),  # nothing to add
    ],
)
def test_adding_business_hours_on_weekdays_nine_to_five(start: str, hours: int, due: str) -> None:
    assert add(NINE_TO_FIVE, at(start), hours * H) == at(due)
    assert elapsed(NINE_TO_FIVE, at(start), at(due)) == hours * H


def test_holidays_dated_and_yearly_are_closed_all_day() -> None:
    calendar = cal(holidays=["2026-12-24", "12-25", {"date": "12-28", "label": "Bank holiday"}])
    # Wed 23 Dec 16:00 + 3 h: 1 h on the 23rd, then 24 (holiday), 25 (every year), 26–27 weekend,
    # 28 (every year) → Tue 29th at 11:00
    assert add(calendar, at("2026-12-23 16:00"), 3 * H) == at("2026-12-29 11:00")
    assert add(calendar, at("2027-12-24 09:00"), H) == at("2027-12-24 10:00")  # the dated one is 2026's only
    assert not is_open(calendar, at("2031-12-25 10:00"))  # the yearly one, any year


def test_a_closure_takes_its_moments_out_and_closures_that_touch_join() -> None:
    calendar = cal(
        "Europe/Berlin",
        closures=[
            {"from": "2026-03-03T12:00", "to": "2026-03-03T14:00", "label": "Offsite"},
            {"from": "2026-03-03T13:00:00+01:00", "to": "2026-03-03T15:00:00+01:00"},
        ],
    )
    assert calendar.closures == ((at("2026-03-03 12:00", "Europe/Berlin"), at("2026-03-03 15:00", "Europe/Berlin")),)
    start = at("2026-03-03 11:00", "Europe/Berlin")
    assert add(calendar, start, 2 * H) == at("2026-03-03 16:00", "Europe/Berlin")
    assert elapsed(calendar, start, at("2026-03-03 17:00", "Europe/Berlin")) == 3 * H


@pytest.mark.parametrize(
    ("zone", "day", "hours", "real"),
    [
        # spring forward: 02:00 → 03:00, so 01:00–04:00 holds two real hours
        ("Europe/Berlin", "2026-03-29", "01:00-04:00", 2),
        ("America/New_York", "2026-03-08", "01:00-04:00", 2),
        # fall back: 03:00 → 02:00 in Berlin, 02:00 → 01:00 in New York, so the same span holds four
        ("Europe/Berlin", "2026-10-25", "01:00-04:00", 4),
        ("America/New_York", "2026-11-01", "00:00-04:00", 5),
        # a span that opens inside the skipped hour opens when the clocks jump
        ("Europe/Berlin", "2026-03-29", "02:30-05:00", 2),
        # Sydney changes in April (back) and October (forward)
        ("Australia/Sydney", "2026-04-05", "00:00-06:00", 7),
        ("Australia/Sydney", "2026-10-04", "00:00-06:00", 5),
        # a zone that moves by 30 minutes
        ("Australia/Lord_Howe", "2026-10-04", "00:00-06:00", 5.5),
    ],
)
def test_open_time_is_real_time_across_both_dst_changes(zone: str, day: str, hours: str, real: float) -> None:
    calendar = cal(zone, hours, days=DAYS)
    start = at(f"{day} 00:00", zone)
    assert elapsed(calendar, start, start + 20 * H) == real * H
    assert add(calendar, start, real * H) == instant(dt.date.fromisoformat(day), int(hours[6:8]) * 60, ZoneInfo(zone))


def test_an_hour_repeated_in_autumn_counts_once_when_a_span_ends_inside_it() -> None:
    # Berlin 2026-10-25: 02:00–03:00 happens twice. 00:00–02:30 ends at the first 02:30.
    calendar = cal("Europe/Berlin", "00:00-02:30", days=DAYS)
    start = at("2026-10-25 00:00", "Europe/Berlin")
    assert elapsed(calendar, start, start + 10 * H) == 2.5 * H
    assert instant(dt.date(2026, 10, 25), 150, ZoneInfo("Europe/Berlin")) == dt.datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_a_gap_wall_time_names_the_moment_the_clocks_jump() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert instant(dt.date(2026, 3, 29), 150, berlin) == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert instant(dt.date(2026, 3, 29), 180, berlin) == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert instant(dt.date(2026, 3, 29), 1440, berlin) == dt.datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_a_calendar_never_open_gives_no_due_moment_and_always_open_is_wall_time() -> None:
    start = at("2026-03-02 10:00")
    assert add(Calendar("UTC"), start, H) is None
    assert next_open(Calendar("UTC"), start) is None
    assert add(cal(holidays=[], days=("mon",), hours="09:00-09:01"), start, HORIZON) is None
    always = Calendar.always("Europe/Berlin")
    assert add(always, start, 1000 * H) == start + 1000 * H
    assert elapsed(always, start, start + 77 * M) == 77 * M


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-03-06 15:00", 10, "2026-03-19 17:00"),  # Friday afternoon: the Friday counts
        ("2026-03-06 18:00", 10, "2026-03-20 17:00"),  # Friday evening: it does not
        ("2026-03-07 10:00", 1, "2026-03-09 17:00"),  # Saturday: Monday is the first day
        ("2026-03-02 09:00", 5, "2026-03-06 17:00"),
        ("2026-03-02 09:00", 0, "2026-03-02 09:00"),
    ],
)
def test_business_days_end_at_closing_time_of_the_last_one(start: str, days: int, due: str) -> None:
    assert add_days(NINE_TO_FIVE, at(start), days) == at(due)


def test_business_days_skip_holidays_and_count_a_split_day_once() -> None:
    calendar = parse_calendar(
        {"hours": {d: [["09:00", "12:00"], ["13:00", "17:00"]] for d in WEEKDAYS}, "holidays": ["2026-03-09"]}
    )
    assert add_days(calendar, at("2026-03-06 10:00"), 2) == at("2026-03-10 17:00")
    assert add_days(Calendar("UTC"), at("2026-03-06 10:00"), 2) is None


def test_a_business_day_that_runs_to_midnight_ends_there_even_when_the_next_opens_at_once() -> None:
    calendar = parse_calendar({"hours": {"mon": [["00:00", "24:00"]], "tue": [["00:00", "00:15"]]}})
    assert add_days(calendar, at("2026-03-09 08:00"), 1) == at("2026-03-10 00:00")
    assert add_days(calendar, at("2026-03-09 08:00"), 2) == at("2026-03-10 00:15")


def test_next_open_and_is_open() -> None:
    assert next_open(NINE_TO_FIVE, at("2026-03-06 18:00")) == at("2026-03-09 09:00")
    assert next_open(NINE_TO_FIVE, at("2026-03-06 10:00")) == at("2026-03-06 10:00")
    assert is_open(NINE_TO_FIVE, at("2026-03-06 16:59"))
    assert not is_open(NINE_TO_FIVE, at("2026-03-06 17:00"))


def test_a_span_to_midnight_and_one_from_midnight_join_across_days() -> None:
    calendar = parse_calendar({"hours": {"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"]]}})
    start = at("2026-03-02 19:00")
    assert add(calendar, start, 6 * H) == at("2026-03-03 02:00")
    assert [(a.hour, b.hour) for a, b in spans(calendar, start, start + 24 * H)] == [(20, 0), (0, 2)]


# --- reading a calendar as a person writes it --------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ([], "calendar", "mapping"),
        ({"zone": "UTC"}, "zone", "unknown field"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "not a time zone"),
        ({"time_zone": "Europe/Berlin\x00"}, "time_zone", "not a time zone"),
        ({"time_zone": 3}, "time_zone", "not a time zone"),
        ({"hours": {"mon": [["17:00", "09:00"]]}}, "hours.mon[0]", "starts at or after it ends"),
        ({"hours": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "hours.mon", "overlap"),
        ({"hours": {"monday": [["09:00", "17:00"]]}}, "hours.monday", "unknown day"),
        ({"hours": {"mon": [["9am", "17:00"]]}}, "hours.mon[0]", "not a time"),
        ({"holidays": "2026-12-25"}, "holidays", "list"),
        ({"holidays": ["02-30"]}, "holidays[0]", "not a day of any year"),
        ({"holidays": ["2026-02-30"]}, "holidays[0]", "not a day of any year"),
        ({"holidays": ["0001-01-01"]}, "holidays[0]", "outside the years"),
        ({"holidays": ["9999-12-31"]}, "holidays[0]", "outside the years"),
        ({"holidays": ["Christmas"]}, "holidays[0]", "not a date"),
        ({"holidays": [{"label": "x"}]}, "holidays[0]", "{date, label}"),
        ({"holidays": [{"date": "12-25", "label": 5}]}, "holidays[0].label", "text"),
        ({"closures": [{"from": "2026-03-03T12:00"}]}, "closures[0]", "from: moment"),
        ({"closures": [{"from": "2026-03-03T12:00", "to": "2026-03-03T11:00"}]}, "closures[0].to", "after from"),
        ({"closures": [{"from": "9999-12-31T23:00-05:00", "to": "x"}]}, "closures[0].from", "outside the years"),
        ({"closures": [{"from": "soon", "to": "later"}]}, "closures[0].from", "not a moment"),
    ],
)
def test_a_calendar_that_cannot_be_used_names_the_field(document: object, path: str, words: str) -> None:
    with pytest.raises(CalendarError) as error:
        parse_calendar(document)
    assert error.value.path == path
    assert words in error.value.message


# --- properties against a slow oracle --------------------------------------------------------------

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Chatham",
)
# moments near the 2026 changes of these zones, and ordinary ones
ANCHORS = tuple(
    at(text)
    for text in (
        "2026-03-07 12:00",
        "2026-03-27 12:00",
        "2026-04-03 12:00",
        "2026-09-25 12:00",
        "2026-10-23 12:00",
        "2026-10-30 12:00",
        "2026-12-23 12:00",
    )
)


@st.composite
def calendars(draw: st.DrawFn) -> tuple[Calendar, dt.datetime]:
    """A calendar, and a moment near its holidays and closures."""
    hours = {}
    for day in DAYS:
        if draw(st.booleans()):
            cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=6)))
            pairs = [cuts[i : i + 2] for i in range(0, len(cuts) - 1, 2)]
            hours[day] = [
                [f"{a * 15 // 60:02}:{a * 15 % 60:02}", f"{b * 15 // 60:02}:{b * 15 % 60:02}"] for a, b in pairs
            ]
    zone = draw(st.sampled_from(ZONES))
    start = draw(st.sampled_from(ANCHORS)) + draw(st.integers(-60 * 24, 60 * 72)) * M
    holidays = [
        (start.date() + dt.timedelta(days=d)).isoformat() for d in draw(st.sets(st.integers(-1, 8), max_size=3))
    ]
    closures = []
    for _ in range(draw(st.integers(0, 3))):
        shut = start + draw(st.integers(-60 * 10, 60 * 72)) * M
        closures.append({"from": shut.isoformat(), "to": (shut + draw(st.integers(1, 60 * 12)) * M).isoformat()})
    calendar = parse_calendar({"time_zone": zone, "hours": hours, "holidays": holidays, "closures": closures})
    return calendar, start


def oracle_open_minutes(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> set[dt.datetime]:
    """Every open minute in [start, end), found the slow way."""
    zone = calendar.zone

    def reached(day: dt.date, minute: int) -> dt.datetime:
        # the first whole minute whose wall-clock reading is at or past day + minute
        wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
        t = wall.replace(tzinfo=UTC) - dt.timedelta(hours=15)
        while t.astimezone(zone).replace(tzinfo=None) < wall:
            t += M
        return t

    open_minutes: set[dt.datetime] = set()
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    while day <= end.astimezone(zone).date():
        if not calendar.is_holiday(day):
            for opens, closes in calendar.hours.get(day.weekday(), ()):
                t, stop = reached(day, opens), reached(day, closes)
                while t < stop:
                    if start <= t < end and not any(a <= t < b for a, b in calendar.closures):
                        open_minutes.add(t)
                    t += M
        day += dt.timedelta(days=1)
    return open_minutes


@settings(max_examples=100, deadline=None)
@given(calendars(), st.integers(0, 60 * 72))
def test_elapsed_counts_the_open_minutes_the_oracle_finds(case: tuple[Calendar, dt.datetime], length: int) -> None:
    calendar, start = case
    end = start + length * M
    assert elapsed(calendar, start, end) == len(oracle_open_minutes(calendar, start, end)) * M


@settings(max_examples=200, deadline=None)
@given(calendars(), st.integers(1, 60 * 24 * 30))
def test_elapsed_from_start_to_the_due_moment_is_the_duration(case: tuple[Calendar, dt.datetime], n: int) -> None:
    calendar, start = case
    due = add(calendar, start, n * M)
    if due is None:
        assert elapsed(calendar, start, start + HORIZON) < n * M
        return
    assert elapsed(calendar, start, due) == n * M
    # and it is the first such moment: a minute earlier, less than N has run
    assert elapsed(calendar, start, due - M) < n * M
    assert is_open(calendar, due - M)


@settings(max_examples=200, deadline=None)
@given(calendars(), st.integers(0, 60 * 24 * 10), st.integers(0, 60 * 24 * 10))
def test_adding_twice_is_adding_the_sum(case: tuple[Calendar, dt.datetime], n: int, m: int) -> None:
    calendar, start = case
    first, whole = add(calendar, start, n * M), add(calendar, start, (n + m) * M)
    assume(first is not None and whole is not None)  # near the horizon, the second add may reach past it
    assert first is not None
    assert add(calendar, first, m * M) == whole


@settings(max_examples=200, deadline=None)
@given(calendars(), st.integers(0, 60 * 24 * 20), st.integers(0, 60 * 24 * 20))
def test_elapsed_adds_up_over_a_split(case: tuple[Calendar, dt.datetime], a: int, b: int) -> None:
    calendar, start = case
    middle, end = start + a * M, start + (a + b) * M
    whole = elapsed(calendar, start, end)
    assert whole == elapsed(calendar, start, middle) + elapsed(calendar, middle, end)
    assert whole <= end - start
    listed = list(spans(calendar, start, end))
    assert all(x < y for x, y in listed)
    assert all(y <= x2 for (_, y), (x2, _) in itertools.pairwise(listed))
    assert all(start <= x and y <= end for x, y in listed)


@settings(max_examples=100, deadline=None)
@given(calendars())
def test_next_open_is_open_and_nothing_before_it_is(case: tuple[Calendar, dt.datetime]) -> None:
    calendar, moment = case
    found = next_open(calendar, moment)
    if found is None:
        assert elapsed(calendar, moment, moment + HORIZON) == dt.timedelta()
        return
    assert is_open(calendar, found)
    assert elapsed(calendar, moment, found) == dt.timedelta()


@settings(max_examples=100, deadline=None)
@given(calendars(), st.integers(1, 30))
def test_each_business_day_more_ends_later_at_a_closing_time(case: tuple[Calendar, dt.datetime], n: int) -> None:
    calendar, start = case
    due, later = add_days(calendar, start, n), add_days(calendar, start, n + 1)
    if due is None:
        assert later is None
        return
    assert is_open(calendar, due - M)
    # a closing time: the team is closed then, unless its day ends at midnight and the next one opens at once
    assert not is_open(calendar, due) or due.astimezone(calendar.zone).time() == dt.time(0, 0)
    assert later is None or elapsed(calendar, due, later) > dt.timedelta()


def test_weekly_hours_come_from_the_same_parser_as_the_teams() -> None:
    document = {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]}
    assert parse_calendar({"hours": document}).hours == parse_hours(document)
