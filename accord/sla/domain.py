"""Business time: when a team's calendar is open, how much open time lies between two moments, and
when a number of open minutes from a moment runs out. Pure code (no Django): every moment is an
aware datetime, every calendar is passed in.

A calendar is a team's weekly hours in its time zone (`accounts.domain.WeeklyHours`: minutes after
local midnight), its holidays (local dates, closed all day) and its one-off closures (moments,
closed from one to the other). Open time is real elapsed time: an hour of open time on the night
the clocks go back is still sixty minutes. Spans are wall-clock times in the team's zone; a wall
time the clocks skip (the hour lost in spring) opens at the moment the clocks jump, and a wall
time that happens twice (the hour repeated in autumn) means its first occurrence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.accounts.domain import WeeklyHours, parse_hours

DAY = dt.timedelta(days=1)
HORIZON = dt.timedelta(days=3 * 366)  # `add` gives up past this: the calendar is never open enough
_CHUNK = dt.timedelta(days=35)  # `add` walks the calendar a chunk of days at a time


@dataclass(frozen=True)
class Calendar:
    """When a team works. Empty `hours` is never open; `always()` is open around the clock."""

    time_zone: str = "UTC"
    hours: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: frozenset[dt.date] = frozenset()
    yearly: frozenset[tuple[int, int]] = frozenset()  # (month, day) closed every year: (12, 25)
    closures: tuple[tuple[dt.datetime, dt.datetime], ...] = ()  # [from, to) moments, sorted

    @classmethod
    def always(cls, time_zone: str = "UTC") -> Calendar:
        return cls(time_zone, dict.fromkeys(range(7), ((0, 1440),)))

    @property
    def zone(self) -> dt.tzinfo:
        return _zone(self.time_zone)

    def is_holiday(self, day: dt.date) -> bool:
        return day in self.holidays or (day.month, day.day) in self.yearly


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def instant(day: dt.date, minute: int, zone: dt.tzinfo) -> dt.datetime:
    """The moment (in UTC) that `minute` after midnight of the local `day` names in `zone`: 1440 is
    the next midnight; a skipped wall time is the moment the clocks jumped; a repeated one its
    first occurrence."""
    if minute >= 1440:
        day, minute = day + DAY * (minute // 1440), minute % 1440
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
    first = local.astimezone(dt.UTC)
    if first.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return first  # it exists (fold 0 is its first occurrence when it happens twice)
    # In a gap: `first` reads it with the offset before the jump, `after` with the one after; the
    # jump lies between them. Find it to the second.
    after = local.replace(fold=1).astimezone(dt.UTC)
    low, high = min(first, after), max(first, after)
    before_offset = low.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before_offset:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0) if high.microsecond else high


def spans(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """The calendar's open time from `start` to `end`, as [from, to) moments in UTC, in order."""
    if end <= start:
        return
    zone = calendar.zone
    day = start.astimezone(zone).date() - DAY  # a span of the day before may still be open
    last = end.astimezone(zone).date()
    while day <= last:
        if not calendar.is_holiday(day):
            for opens, closes in calendar.hours.get(day.weekday(), ()):
                a, b = max(instant(day, opens, zone), start), min(instant(day, closes, zone), end)
                if a < b:
                    yield from _open_between(a, b, calendar.closures)
        day += DAY


def _open_between(
    a: dt.datetime, b: dt.datetime, closures: Sequence[tuple[dt.datetime, dt.datetime]]
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """[a, b) with the closures taken out."""
    for shut, reopen in closures:
        if reopen <= a:
            continue
        if shut >= b:
            break
        if shut > a:
            yield a, shut
        a = max(a, reopen)
        if a >= b:
            return
    yield a, b


def elapsed(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """The open time from `start` to `end` (none when `end` is not after `start`)."""
    return sum((b - a for a, b in spans(calendar, start, end)), dt.timedelta())


def add(calendar: Calendar, start: dt.datetime, duration: dt.timedelta) -> dt.datetime | None:
    """The moment `duration` of open time after `start` runs out (`start` itself for none), or None
    when the calendar is not open that long within `HORIZON`."""
    if duration <= dt.timedelta():
        return start.astimezone(dt.UTC)
    left = duration
    since = start
    while since - start < HORIZON:
        until = since + _CHUNK
        for a, b in spans(calendar, since, until):
            if b - a >= left:
                return a + left
            left -= b - a
        since = until
    return None


def add_days(calendar: Calendar, start: dt.datetime, days: int) -> dt.datetime | None:
    """The close of the `days`-th open day from `start` (its own day counts when it is still open
    after `start`), or None when there are not that many within `HORIZON`. "Within 10 business
    days" of a Friday-afternoon hand-off ends at closing time on the second Thursday after."""
    if days <= 0:
        return start.astimezone(dt.UTC)
    zone = calendar.zone
    counted, last_day, close = 0, None, None
    since = start
    while since - start < HORIZON:
        until = since + _CHUNK
        for _, b in spans(calendar, since, until):
            day = (b - dt.timedelta(microseconds=1)).astimezone(zone).date()
            if day != last_day:
                if counted == days:
                    return close
                counted, last_day = counted + 1, day
            close = b
        since = until
    return close if counted == days else None


def is_open(calendar: Calendar, at: dt.datetime) -> bool:
    return next(spans(calendar, at, at + dt.timedelta(microseconds=1)), None) is not None


def next_open(calendar: Calendar, at: dt.datetime) -> dt.datetime | None:
    """The first open moment at or after `at` (None: not within `HORIZON`)."""
    since = at
    while since - at < HORIZON:
        found = next(spans(calendar, since, since + _CHUNK), None)
        if found is not None:
            return found[0]
        since += _CHUNK
    return None


# --- reading a calendar as a person writes it -------------------------------------------------------


class CalendarError(ValueError):
    """A calendar that cannot be used; `path` names the field (hours.mon[0], holidays[2] …)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


def parse_calendar(data: object) -> Calendar:
    """{"time_zone": "Europe/Berlin", "hours": {"mon": [["09:00", "17:00"]], …},
    "holidays": ["2026-12-25", "01-01", {"date": "2026-04-03", "label": "Good Friday"}, …],
    "closures": [{"from": ISO moment, "to": ISO moment}, …]}
    -> Calendar; CalendarError naming the first field that is wrong."""
    if not isinstance(data, Mapping):
        raise CalendarError("calendar", "must be a mapping with time_zone, hours, holidays and closures")
    unknown = sorted(str(k)[:40] for k in data if k not in {"time_zone", "hours", "holidays", "closures"})
    if unknown:
        raise CalendarError(unknown[0], "unknown field; use time_zone, hours, holidays, closures")
    time_zone = data.get("time_zone", "UTC")
    if not isinstance(time_zone, str) or not _known_zone(time_zone):
        raise CalendarError("time_zone", f"{str(time_zone)[:60]!r} is not a time zone such as Europe/Berlin")
    try:
        hours: WeeklyHours = parse_hours(data.get("hours", {}))
    except ValueError as exc:
        path, _, message = str(exc).partition(": ")
        raise CalendarError(path, message) from None
    holidays, yearly = _holidays(data.get("holidays", []))
    closures = _closures(data.get("closures", []), _zone(time_zone))
    return Calendar(time_zone, hours, holidays, yearly, closures)


def _known_zone(name: str) -> bool:
    if not name or len(name) > 64 or "\x00" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


FIRST_YEAR, LAST_YEAR = 1970, 2200  # the years a dated holiday may fall in


def _holidays(raw: object) -> tuple[frozenset[dt.date], frozenset[tuple[int, int]]]:
    """Dated holidays ("2026-12-25") and yearly ones ("12-25"), each a string or {date, label}."""
    if not isinstance(raw, list):
        raise CalendarError("holidays", "must be a list of dates such as 2026-12-25 (or 12-25 for every year)")
    days: set[dt.date] = set()
    yearly: set[tuple[int, int]] = set()
    for index, item in enumerate(raw):
        path = f"holidays[{index}]"
        value = item
        if isinstance(item, Mapping):
            if "date" not in item or set(item) - {"date", "label"}:
                raise CalendarError(path, "must be a date, or {date, label}")
            label = item.get("label", "")
            if not isinstance(label, str) or len(label) > 100 or "\x00" in label:
                raise CalendarError(f"{path}.label", "must be text of at most 100 characters")
            value, path = item["date"], f"{path}.date"
        if isinstance(value, str) and len(value) == 5 and value[2] == "-":
            yearly.add(_month_day(value, path))
        else:
            days.add(_date(value, path))
    return frozenset(days), frozenset(yearly)


def _month_day(value: str, path: str) -> tuple[int, int]:
    if value.isascii() and value[:2].isdigit() and value[3:].isdigit():
        month, day = int(value[:2]), int(value[3:])
        try:
            dt.date(2000, month, day)  # a leap year: 02-29 falls in some years
        except ValueError:
            raise CalendarError(path, f"{value!r} is not a day of any year") from None
        return month, day
    raise CalendarError(path, f"{value[:40]!r} is not a day such as 12-25")


def _date(value: object, path: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise CalendarError(path, "must be a date such as 2026-12-25, not a moment")
    day: dt.date | None = value if isinstance(value, dt.date) else None
    if isinstance(value, str) and len(value) == 10 and value.isascii():
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise CalendarError(path, f"{value!r} is not a day of any year; write a date such as 2026-12-25") from None
    if day is None:
        raise CalendarError(path, f"{str(value)[:40]!r} is not a date such as 2026-12-25")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarError(path, f"{day.isoformat()} is outside the years a calendar holds ({FIRST_YEAR}–{LAST_YEAR})")
    return day


def _closures(raw: object, zone: dt.tzinfo) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    if not isinstance(raw, list):
        raise CalendarError("closures", "must be a list of {from, to} moments")
    found = []
    for index, item in enumerate(raw):
        path = f"closures[{index}]"
        if not isinstance(item, Mapping) or set(item) - {"from", "to", "label"} or not {"from", "to"} <= set(item):
            raise CalendarError(path, "must be {from: moment, to: moment}, with an optional label")
        shut, reopen = _moment(item["from"], f"{path}.from", zone), _moment(item["to"], f"{path}.to", zone)
        if reopen <= shut:
            raise CalendarError(f"{path}.to", "must be after from")
        found.append((shut, reopen))
    return tuple(_merged(sorted(found)))


def _moment(value: object, path: str, zone: dt.tzinfo) -> dt.datetime:
    """An ISO moment; one written without an offset is a wall time in the calendar's zone."""
    moment = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str) and 10 <= len(value) <= 40 and value.isascii():
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None:
        raise CalendarError(path, f"{str(value)[:40]!r} is not a moment such as 2026-12-24T13:00")
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise CalendarError(
            path, f"{moment.date().isoformat()} is outside the years a calendar holds ({FIRST_YEAR}–{LAST_YEAR})"
        )
    if moment.tzinfo is None:
        return instant(moment.date(), moment.hour * 60 + moment.minute, zone) + dt.timedelta(
            seconds=moment.second, microseconds=moment.microsecond
        )
    return moment.astimezone(dt.UTC)


def _merged(
    closures: Iterable[tuple[dt.datetime, dt.datetime]],
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Sorted closures with those that touch or overlap joined."""
    current: tuple[dt.datetime, dt.datetime] | None = None
    for shut, reopen in closures:
        if current is not None and shut <= current[1]:
            current = (current[0], max(current[1], reopen))
            continue
        if current is not None:
            yield current
        current = (shut, reopen)
    if current is not None:
        yield current
