"""Reads of screens that span apps, composed from the apps' selectors: a contact's timeline (its
events and its stage changes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accord.accounts.queries import browser_key_prefixes
from accord.contacts.models import Contact
from accord.lifecycle.models import StageChange
from accord.lifecycle.queries import stage_change_time, stage_changes_page
from accord.tracking.models import Event
from accord.tracking.queries import contact_events_page, event_time

# --------------------------------------------------------------------------- a contact's timeline

TIMELINE_PAGE = 50
CURSOR = re.compile(r"^([es])([1-9][0-9]{0,18})$")  # e<event id> or s<stage change id>


@dataclass(frozen=True)
class TimelineRead:
    """What a page of a contact's timeline shows, as read: `presenters.contacts.timeline_page` puts it in one list."""

    events: list[Event]  # newest first, at most limit + 1
    changes: list[StageChange]  # newest first, at most limit + 1
    browser_keys: frozenset[str]  # the prefixes of browser keys, whose identify calls are form submissions
    limit: int


def contact_timeline(contact: Contact, *, cursor: str = "", limit: int = TIMELINE_PAGE) -> TimelineRead:
    """The contact's events and stage changes older than `cursor` (the key of the last item already
    shown), each list newest first and read from its (contact, time) index, at most `limit + 1` rows.

    Items are ordered by time, a stage change before an event of the same instant (it follows
    the event that caused it), then by id."""
    events: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    match = CURSOR.match(cursor)
    if match:
        kind, pk = match.group(1), int(match.group(2))
        at = event_time(contact, pk) if kind == "e" else stage_change_time(contact, pk)
        if at is None:
            return TimelineRead([], [], frozenset(), limit)
        if kind == "e":
            events, changes = {"before": at, "before_id": pk}, {"before": at}
        else:
            events, changes = {"through": at}, {"before": at, "before_id": pk}
    return TimelineRead(
        events=contact_events_page(contact, **events, limit=limit + 1),
        changes=stage_changes_page(contact, **changes, limit=limit + 1),
        browser_keys=browser_key_prefixes(),
        limit=limit,
    )
