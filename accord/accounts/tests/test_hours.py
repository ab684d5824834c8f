"""A team's working hours: how they are written, what is refused, and whether a moment falls in
them in the team's time zone, across daylight-saving changes in both directions."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.accounts.domain import DEFAULT_HOURS, parse_hours, within_hours

UTC = dt.UTC


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- parse_hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "hours"),
    [
        pytest.param({}, {}, id="no days: always closed"),
        pytest.param({"mon": [["09:00", "17:00"]]}, {0: ((540, 1020),)}, id="one span"),
        pytest.param({"sun": [["00:00", "24:00"]]}, {6: ((0, 1440),)}, id="a whole day, 24:00 ending it"),
        pytest.param({"fri": [["23:59", "24:00"]]}, {4: ((1439, 1440),)}, id="the last minute"),
        pytest.param(
            {"tue": [["13:00", "17:30"], ["08:00", "12:00"]]}, {1: ((480, 720), (780, 1050))}, id="spans are sorted"
        ),
        pytest.param(
            {"wed": [["08:00", "12:00"], ["12:00", "16:00"]]}, {2: ((480, 720), (720, 960))}, id="spans may touch"
        ),
        pytest.param({"thu": []}, {3: ()}, id="a day named with no spans is closed"),
        pytest.param({"mon": [("09:00", "12:00")]}, {0: ((540, 720),)}, id="a span may be a tuple"),
    ],
)
def test_parse_hours_reads_each_day_as_minutes_after_midnight(data, hours):
    assert parse_hours(data) == hours


def test_the_default_hours_are_nine_to_five_monday_to_friday():
    assert parse_hours(DEFAULT_HOURS) == dict.fromkeys(range(5), ((540, 1020),))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            None,
            "hours: must be a mapping of days (mon … sun) to spans such as [['09:00', '17:00']]",
            id="not a mapping",
        ),
        pytest.param(
            [["09:00", "17:00"]],
            "hours: must be a mapping of days (mon … sun) to spans such as [['09:00', '17:00']]",
            id="a list",
        ),
        pytest.param(
            {"monday": [["09:00", "17:00"]]},
            "hours.monday: unknown day; use mon, tue, wed, thu, fri, sat, sun",
            id="unknown day",
        ),
        pytest.param(
            {"Mon": [["09:00", "17:00"]]},
            "hours.Mon: unknown day; use mon, tue, wed, thu, fri, sat, sun",
            id="days are lower case",
        ),
        pytest.param(
            {0: [["09:00", "17:00"]]}, "hours.0: unknown day; use mon, tue, wed, thu, fri, sat, sun", id="a day number"
        ),
        pytest.param(
            {"x" * 50: []},
            f"hours.{'x' * 20}: unknown day; use mon, tue, wed, thu, fri, sat, sun",
            id="a long unknown day is cut short",
        ),
        pytest.param({"mon": "09:00-17:00"}, "hours.mon: must be a list of [start, end] spans", id="spans as text"),
        pytest.param(
            {"sat": (("10:00", "14:00"),)}, "hours.sat: must be a list of [start, end] spans", id="spans as a tuple"
        ),
        pytest.param(
            {"mon": [["09:00"]]}, "hours.mon[0]: must be [start, end], such as ['09:00', '17:00']", id="a span of one"
        ),
        pytest.param(
            {"mon": [["09:00", "12:00", "17:00"]]},
            "hours.mon[0]: must be [start, end], such as ['09:00', '17:00']",
            id="a span of three",
        ),
        pytest.param(
            {"mon": ["09:00-17:00"]},
            "hours.mon[0]: must be [start, end], such as ['09:00', '17:00']",
            id="a span as text",
        ),
        pytest.param(
            {"tue": [["08:00", "12:00"], ["9:00", "17:00"]]},
            "hours.tue[1]: '9:00' is not a time such as 09:00",
            id="one digit for the hour",
        ),
        pytest.param({"mon": [["09:00", "25:00"]]}, "hours.mon[0]: '25:00' is not a time such as 09:00", id="hour 25"),
        pytest.param({"mon": [["09:00", "24:30"]]}, "hours.mon[0]: '24:30' is not a time such as 09:00", id="24:30"),
        pytest.param(
            {"mon": [["09:60", "17:00"]]}, "hours.mon[0]: '09:60' is not a time such as 09:00", id="minute 60"
        ),
        pytest.param({"mon": [["09.00", "17:00"]]}, "hours.mon[0]: '09.00' is not a time such as 09:00", id="a dot"),
        pytest.param(
            {"mon": [["09:00 ", "17:00"]]}, "hours.mon[0]: '09:00 ' is not a time such as 09:00", id="a trailing space"
        ),
        pytest.param({"mon": [[900, "17:00"]]}, "hours.mon[0]: '900' is not a time such as 09:00", id="a number"),
        pytest.param(
            {"mon": [["-1:00", "17:00"]]}, "hours.mon[0]: '-1:00' is not a time such as 09:00", id="a negative hour"
        ),
        pytest.param(
            {"mon": [["²3:00", "23:30"]]}, "hours.mon[0]: '²3:00' is not a time such as 09:00", id="a superscript digit"
        ),
        pytest.param(
            {"mon": [["０９:００", "17:00"]]},
            "hours.mon[0]: '０９:００' is not a time such as 09:00",
            id="full-width digits",
        ),
        pytest.param({"mon": [["17:00", "09:00"]]}, "hours.mon[0]: starts at or after it ends", id="inverted"),
        pytest.param(
            {"mon": [["22:00", "02:00"]]}, "hours.mon[0]: starts at or after it ends", id="across midnight is inverted"
        ),
        pytest.param({"mon": [["09:00", "09:00"]]}, "hours.mon[0]: starts at or after it ends", id="empty"),
        pytest.param({"mon": [["24:00", "24:00"]]}, "hours.mon[0]: starts at or after it ends", id="24:00 to 24:00"),
        pytest.param({"wed": [["09:00", "13:00"], ["12:00", "17:00"]]}, "hours.wed: spans overlap", id="overlapping"),
        pytest.param(
            {"wed": [["12:00", "17:00"], ["09:00", "12:30"]]},
            "hours.wed: spans overlap",
            id="overlapping, out of order",
        ),
        pytest.param(
            {"wed": [["08:00", "18:00"], ["13:00", "14:00"], ["20:00", "21:00"]]},
            "hours.wed: spans overlap",
            id="one inside another",
        ),
        pytest.param(
            {"wed": [["09:00", "12:00"], ["09:00", "12:00"]]}, "hours.wed: spans overlap", id="the same twice"
        ),
    ],
)
def test_parse_hours_refuses_with_the_day_and_span(data, message):
    with pytest.raises(ValueError) as caught:
        parse_hours(data)
    assert str(caught.value) == message


# --- within_hours ------------------------------------------------------------------------------

NINE_TO_FIVE = parse_hours(DEFAULT_HOURS)
SUNDAY_NIGHT = parse_hours({"sun": [["02:00", "03:00"]]})  # the hour DST skips or repeats in Berlin
LATE = parse_hours({"fri": [["17:00", "24:00"]], "sat": [["00:00", "02:00"]]})
SPLIT = parse_hours({"mon": [["08:00", "12:00"], ["13:00", "17:00"]]})


@pytest.mark.parametrize(
    ("hours", "time_zone", "at", "open_"),
    [
        # UTC, Wednesday 4 March 2026
        pytest.param(NINE_TO_FIVE, "UTC", utc("2026-03-04T09:00"), True, id="the first minute is open"),
        pytest.param(NINE_TO_FIVE, "UTC", utc("2026-03-04T08:59:59"), False, id="a second before is closed"),
        pytest.param(NINE_TO_FIVE, "UTC", utc("2026-03-04T16:59:59"), True, id="the last second is open"),
        pytest.param(NINE_TO_FIVE, "UTC", utc("2026-03-04T17:00"), False, id="the end is closed"),
        pytest.param(NINE_TO_FIVE, "UTC", utc("2026-03-07T12:00"), False, id="Saturday is closed"),
        pytest.param({}, "UTC", utc("2026-03-04T12:00"), False, id="no hours: always closed"),
        pytest.param(SPLIT, "UTC", utc("2026-03-02T12:30"), False, id="the lunch gap"),
        pytest.param(SPLIT, "UTC", utc("2026-03-02T13:00"), True, id="after lunch"),
        pytest.param(LATE, "UTC", utc("2026-03-06T23:59:59"), True, id="till 24:00 on Friday"),
        pytest.param(LATE, "UTC", utc("2026-03-07T00:00"), True, id="Saturday's own hours from midnight"),
        pytest.param(LATE, "UTC", utc("2026-03-07T02:00"), False, id="Saturday's end"),
        pytest.param(LATE, "UTC", utc("2026-03-05T23:30"), False, id="Thursday night is not Friday"),
        # the zone decides the day and the hour
        pytest.param(NINE_TO_FIVE, "Asia/Tokyo", utc("2026-03-01T23:30"), False, id="Tokyo Monday 08:30"),
        pytest.param(NINE_TO_FIVE, "Asia/Tokyo", utc("2026-03-02T00:00"), True, id="Tokyo Monday 09:00 (Sunday UTC)"),
        pytest.param(NINE_TO_FIVE, "Asia/Tokyo", utc("2026-03-06T08:00"), False, id="Tokyo Friday 17:00"),
        pytest.param(
            NINE_TO_FIVE,
            "America/Los_Angeles",
            utc("2026-03-07T00:30"),
            True,
            id="Los Angeles Friday 16:30 (Saturday UTC)",
        ),
        pytest.param(NINE_TO_FIVE, "Not/AZone", utc("2026-03-04T09:30"), True, id="an unknown zone reads as UTC"),
        pytest.param(NINE_TO_FIVE, "", utc("2026-03-04T08:30"), False, id="no zone reads as UTC"),
        pytest.param(
            NINE_TO_FIVE,
            "Europe/Berlin",
            dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            True,
            id="a moment given in another offset",
        ),
        # Berlin springs forward on Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST (at 01:00 UTC)
        pytest.param(SUNDAY_NIGHT, "Europe/Berlin", utc("2026-03-29T00:59"), False, id="Berlin 01:59 CET"),
        pytest.param(
            SUNDAY_NIGHT,
            "Europe/Berlin",
            utc("2026-03-29T01:00"),
            False,
            id="Berlin 03:00 CEST: the skipped hour is never open",
        ),
        pytest.param(SUNDAY_NIGHT, "Europe/Berlin", utc("2026-03-22T01:30"), True, id="Berlin 02:30 a week before"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-03-27T08:00"), True, id="Berlin Friday 09:00 CET"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-03-30T07:00"), True, id="Berlin Monday 09:00 CEST"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-03-30T06:59"), False, id="Berlin Monday 08:59 CEST"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-03-30T15:00"), False, id="Berlin Monday 17:00 CEST"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-03-30T14:59"), True, id="Berlin Monday 16:59 CEST"),
        # Berlin falls back on Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET (at 01:00 UTC)
        pytest.param(SUNDAY_NIGHT, "Europe/Berlin", utc("2026-10-24T23:59"), False, id="Berlin 01:59 CEST"),
        pytest.param(SUNDAY_NIGHT, "Europe/Berlin", utc("2026-10-25T00:00"), True, id="Berlin 02:00 CEST"),
        pytest.param(SUNDAY_NIGHT, "Europe/Berlin", utc("2026-10-25T00:59"), True, id="Berlin 02:59 CEST"),
        pytest.param(SUNDAY_NIGHT, "Europe/Berlin", utc("2026-10-25T01:00"), True, id="Berlin 02:00 CET, again"),
        pytest.param(SUNDAY_NIGHT, "Europe/Berlin", utc("2026-10-25T01:59"), True, id="Berlin 02:59 CET, again"),
        pytest.param(SUNDAY_NIGHT, "Europe/Berlin", utc("2026-10-25T02:00"), False, id="Berlin 03:00 CET"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-10-23T07:00"), True, id="Berlin Friday 09:00 CEST"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-10-26T07:00"), False, id="Berlin Monday 08:00 CET"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-10-26T08:00"), True, id="Berlin Monday 09:00 CET"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-10-26T15:59"), True, id="Berlin Monday 16:59 CET"),
        pytest.param(NINE_TO_FIVE, "Europe/Berlin", utc("2026-10-26T16:00"), False, id="Berlin Monday 17:00 CET"),
        # New York springs forward on Sunday 8 March 2026 and falls back on Sunday 1 November 2026
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-03-06T13:30"), False, id="New York Friday 08:30 EST"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-03-06T14:00"), True, id="New York Friday 09:00 EST"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-03-09T13:00"), True, id="New York Monday 09:00 EDT"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-03-09T12:59"), False, id="New York Monday 08:59 EDT"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-03-09T21:00"), False, id="New York Monday 17:00 EDT"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-10-30T20:59"), True, id="New York Friday 16:59 EDT"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-10-30T21:00"), False, id="New York Friday 17:00 EDT"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-11-02T13:30"), False, id="New York Monday 08:30 EST"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-11-02T14:00"), True, id="New York Monday 09:00 EST"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-11-02T21:59"), True, id="New York Monday 16:59 EST"),
        pytest.param(NINE_TO_FIVE, "America/New_York", utc("2026-11-02T22:00"), False, id="New York Monday 17:00 EST"),
        pytest.param(
            parse_hours({"sun": [["01:00", "02:00"]]}),
            "America/New_York",
            utc("2026-11-01T05:30"),
            True,
            id="New York 01:30 EST, the repeated hour",
        ),
        pytest.param(
            parse_hours({"sun": [["02:00", "03:00"]]}),
            "America/New_York",
            utc("2026-03-08T07:00"),
            False,
            id="New York 03:00 EDT, the skipped hour",
        ),
    ],
)
def test_within_hours_reads_the_moment_in_the_teams_time_zone(hours, time_zone, at, open_):
    assert within_hours(hours, time_zone, at) is open_
