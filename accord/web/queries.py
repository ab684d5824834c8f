"""Reads of screens that span apps, composed from the apps' selectors: a contact's timeline (its
events and its stage changes). And the contact list's score filters and sorts and the overview's
quadrant counts, which read the contact's scores; they belong with scoring's reads (`scoring.queries`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Expression, F, IntegerField, QuerySet

from accord.accounts.queries import browser_key_prefixes
from accord.contacts.models import Contact
from accord.lifecycle.models import StageChange
from accord.lifecycle.queries import stage_change_time, stage_changes_page
from accord.scoring.queries import heating_rises
from accord.tracking.models import Event
from accord.tracking.queries import contact_events_page, event_time

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

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


# --------------------------------------------------------------------------- scores


def quadrant_tally(contacts: QuerySet[Contact]) -> dict[str, int]:
    """How many of `contacts` are in each quadrant, by quadrant key ("" for those not scored)."""
    found = {row["quadrant"]: row["n"] for row in contacts.order_by().values("quadrant").annotate(n=Count("id"))}
    return found


def heating_ids(limit: int = 1000) -> list[int]:
    """The ids of contacts heating up now (the list's filter), the fastest-rising first."""
    return [pk for pk, _ in heating_rises()[:limit]]


class _Place(Expression):
    """Where a row's `expression` stands in `ids`, from 0: one `CASE expression WHEN id THEN place … END`
    written out at once (a Case of When(pk=…) resolves, hashes and compiles a lookup per id, 120 ms
    of CPU for the heating-up list's 1,000)."""

    output_field = IntegerField()

    def __init__(self, expression: Any, ids: list[int]) -> None:
        super().__init__()
        self.expression, self.ids = expression, [int(pk) for pk in ids]

    def get_source_expressions(self) -> list[Any]:
        return [self.expression]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.expression,) = exprs

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _AsSqlType:
        sql, params = compiler.compile(self.expression)
        places = " ".join(f"WHEN {pk} THEN {place}" for place, pk in enumerate(self.ids))  # integers only
        return f"CASE {sql} {places} END", params


CONTACT_SORTS: dict[str, tuple[Any, ...]] = {
    "interest": (F("interest_score").desc(nulls_last=True), "-id"),
    "fit": (F("fit_score").desc(nulls_last=True), F("interest_score").desc(nulls_last=True), "-id"),
}


def scored_contacts(
    contacts: QuerySet[Contact], *, quadrant: str = "", heating: bool = False, sort: str = ""
) -> QuerySet[Contact]:
    """The contact list narrowed to a quadrant or to those heating up, and sorted by a score (the
    highest first); heating up alone sorts by how fast interest rose."""
    if quadrant:
        contacts = contacts.filter(quadrant=quadrant)
    if heating:
        ids = heating_ids()
        contacts = contacts.filter(pk__in=ids)
        if not sort:
            return contacts.order_by(_Place(F("pk"), ids)) if ids else contacts
    if sort in CONTACT_SORTS:
        contacts = contacts.order_by(*CONTACT_SORTS[sort])
    return contacts
