"""A contact's timeline: its events and stage changes in one list, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.web.presenters.activity import EventRow, event_row
from accord.web.presenters.history import HistoryRow, history_rows

if TYPE_CHECKING:
    from accord.web.queries import TimelineRead


@dataclass(frozen=True)
class TimelinePage:
    items: list[EventRow | HistoryRow]  # newest first
    next_cursor: str  # the last item's key, to ask for older ones; "" when there are none


def timeline_page(read: TimelineRead) -> TimelinePage:
    """The events and stage changes `web.queries.contact_timeline` read, in one list, at most
    `read.limit`: ordered by time, a stage change before an event of the same instant (it follows
    the event that caused it), then by id."""
    items: list[EventRow | HistoryRow] = [event_row(e, browser_keys=read.browser_keys) for e in read.events]
    items += history_rows(read.changes)
    items.sort(key=lambda item: (item.at, item.is_stage, int(item.key[1:])), reverse=True)
    more = len(items) > read.limit
    items = items[: read.limit]
    return TimelinePage(items, items[-1].key if more and items else "")
