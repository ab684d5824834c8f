"""The one place where accepted events go next.

`accepted(messages, resolution)` runs in the ingest transaction, right after the events are
stored, with only the events this request really stored (never duplicates). It keeps each
contact's first and last touch, offers and form count, then hands the batch to the steps listed
in the `ACCORD_EVENT_STEPS` setting, in order: by default the scoring engine
(`accord.scoring.pipeline.events_accepted`), which scores the events and lets the stage rules
move contacts (a form submission makes a lead, a score that meets the MQL rule makes an MQL).
The steps sit above tracking in the layers, so they are named in settings rather than imported
(docs/adr/0009). Anything slow (email, webhooks) must be queued with
`accord.core.tasks.after_commit`, never done inline: events must not wait for it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Field
from django.utils.module_loading import import_string

from accord.contacts.models import Contact
from accord.tracking.domain import Attribution, EventType, Message, Touch
from accord.tracking.identity import ANON, Resolution
from accord.tracking.models import Event

# last_seen_at moves at most this often, so a stream of page views does not rewrite the contact.
SEEN_RESOLUTION = dt.timedelta(minutes=5)


def accepted(messages: list[Message], resolution: Resolution) -> None:
    if connection.vendor == "postgresql":
        _link_overlapping(messages, resolution)
    activity: dict[int, Attribution] = defaultdict(Attribution)
    for m in messages:
        if m.contact_id is not None:
            activity[m.contact_id].add(m)
    # Every contact this batch touches is locked, in id order, so that two requests touching the
    # same contacts queue behind each other instead of deadlocking between the steps below. (The
    # contacts identity resolution found are locked already, before anything was written.)
    touched = {*activity, *resolution.identified, *resolution.qualified, *resolution.relinked}
    if touched and connection.vendor == "postgresql":
        list(Contact.objects.select_for_update(no_key=True).filter(pk__in=touched).order_by("pk").values_list("pk"))
    for contact_id in sorted(resolution.relinked):
        _recompute(contact_id)
    _save(activity, skip=resolution.relinked)
    handed = Accepted(
        messages=messages,
        resolution=resolution,
        recheck={*resolution.qualified, *resolution.relinked, *(c for c, a in activity.items() if a.forms)},
    )
    for step in steps():
        step(handed)


def _link_overlapping(messages: list[Message], resolution: Resolution) -> None:
    """Link the events of a visitor who identified in a request that overlapped this one.

    Identity resolution links an anonymous id's stored events once it learns whose they are. An
    event that a concurrent request has stored but not committed yet is invisible to that update,
    and that request, for its part, did not see the new link: the event would stay anonymous for
    good. So a request that stores events of an anonymous id holds a shared lock on it (such
    requests never wait for one another), one that may link an anonymous id holds an exclusive
    lock — both taken when the transaction began (accord.tracking.locks) — and both then link
    what is still unlinked: whichever commits second sees what the first committed. (SQLite runs
    one write transaction at a time: no overlap.)
    """
    anonymous = sorted(  # the ids locked when the transaction began, but the known browsers'
        {m.anonymous_id for m in messages if m.anonymous_id and (m.contact_id is None or m.user_id)}
        | {m.anonymous_id for m in messages if m.anonymous_id and m.type is EventType.IDENTIFY}
        | {m.previous_id for m in messages if m.type is EventType.ALIAS and m.previous_id}
    )
    if not anonymous:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT value, contact_id FROM tracking_identity WHERE kind = %s AND value = ANY(%s)", [ANON, anonymous]
        )
        claimed: dict[str, int] = dict(cursor.fetchall())
        if not claimed:
            return  # nobody identified: the common case of anonymous traffic
        values = sorted(claimed)
        cursor.execute(
            "UPDATE tracking_event AS e SET contact_id = v.contact_id"
            " FROM unnest(%s::varchar[], %s::bigint[]) AS v(value, contact_id)"
            " WHERE e.contact_id IS NULL AND e.anonymous_id = ANY(%s) AND e.anonymous_id = v.value"
            " RETURNING e.contact_id",
            [values, [claimed[v] for v in values], values],
        )
        resolution.relinked.update(row[0] for row in cursor.fetchall())
    for m in messages:
        if m.contact_id is None and m.anonymous_id in claimed:
            m.contact_id = claimed[m.anonymous_id]


@dataclass(frozen=True)
class Accepted:
    """What the steps after storing receive."""

    messages: list[Message]  # the events this request stored, with their contact when known
    resolution: Resolution  # whom identity resolution identified, relinked or merged
    recheck: set[int]  # contacts whose facts changed: the stage rules should look at them again


@cache
def steps() -> tuple[Callable[[Accepted], object], ...]:
    """The steps of `ACCORD_EVENT_STEPS`, imported once."""
    return tuple(import_string(path) for path in settings.ACCORD_EVENT_STEPS)


def _save(activity: dict[int, Attribution], *, skip: set[int]) -> None:
    """Fold this batch's attribution into each contact's: an earlier first touch, a later last
    touch, last seen (at most every SEEN_RESOLUTION), the first and last offer, forms submitted.
    The contacts are locked; their changes are written in one statement."""
    ids = [c for c in activity if c not in skip]
    if not ids:
        return
    contacts = {row[0]: row for row in Contact.objects.filter(pk__in=ids).values_list("pk", *_FIELDS)}
    rows: list[tuple[Any, ...]] = []  # one per contact that changes: _CHANGES' values (None: unchanged)
    for contact_id, a in sorted(activity.items()):
        if contact_id not in contacts:
            continue
        _, first_seen_at, last_touch_at, last_seen_at, first_offer = contacts[contact_id]
        changed: dict[str, object] = {}
        if a.first and (first_seen_at is None or a.first[0] < first_seen_at):
            changed.update(_first(a.first))
        if a.last and (last_touch_at is None or a.last[0] >= last_touch_at):
            changed.update(_last(a.last))
        if a.seen and (last_seen_at is None or a.seen - last_seen_at >= SEEN_RESOLUTION):
            changed["last_seen_at"] = a.seen
        if a.first_offer and not first_offer:
            changed["first_offer"] = a.first_offer[1]
        if a.last_offer:
            changed["last_offer"] = a.last_offer[1]
        if changed or a.forms:
            rows.append((contact_id, *(changed.get(name) for name in _CHANGES), a.forms))
    if rows:
        _write_attribution(rows)


# The attribution columns `_save` writes, each set only when its value is not None; then the
# number of forms submitted, added.
_CHANGES = (
    "first_source", "first_medium", "first_campaign", "first_seen_at", "last_source", "last_medium",
    "last_campaign", "last_touch_at", "last_seen_at", "first_offer", "last_offer",
)  # fmt: skip
_TEXT = {"first_source", "first_medium", "first_campaign", "last_source", "last_medium", "last_campaign",
         "first_offer", "last_offer"}  # fmt: skip


def _column(name: str) -> str:
    field = Contact._meta.get_field(name)
    assert isinstance(field, Field)
    return str(field.column)


def _write_attribution(rows: list[tuple[Any, ...]]) -> None:
    """One UPDATE … FROM unnest(…) on PostgreSQL; the same statement for each row elsewhere."""
    meta = Contact._meta
    table, pk = meta.db_table, meta.pk.column
    columns = [_column(name) for name in _CHANGES]
    forms = _column("forms_submitted")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = ["text" if name in _TEXT else "timestamptz" for name in _CHANGES]
            arrays = ", ".join(f"%s::{t}[]" for t in ["bigint", *types, "integer"])
            names = ", ".join(["id", *columns, "forms"])
            sets = ", ".join(f"{c} = COALESCE(v.{c}, t.{c})" for c in columns)
            cursor.execute(
                f"UPDATE {table} AS t SET {sets}, {forms} = t.{forms} + v.forms"
                f" FROM unnest({arrays}) AS v({names}) WHERE t.{pk} = v.id",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            sets = ", ".join(f"{c} = COALESCE(%s, {c})" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets}, {forms} = {forms} + %s WHERE {pk} = %s",
                [(*row[1:], row[0]) for row in rows],
            )


_FIELDS = ("first_seen_at", "last_touch_at", "last_seen_at", "first_offer")


def _last(last: tuple[dt.datetime, Touch]) -> dict[str, object]:
    at, found = last
    return {
        "last_source": found.source,
        "last_medium": found.medium,
        "last_campaign": found.campaign,
        "last_touch_at": at,
    }


def _first(first: tuple[dt.datetime, Touch]) -> dict[str, object]:
    at, found = first
    return {
        "first_source": found.source,
        "first_medium": found.medium,
        "first_campaign": found.campaign,
        "first_seen_at": at,
    }


def _recompute(contact_id: int) -> None:
    """Rebuild a contact's attribution from all its events (after an anonymous history was linked
    to it, or a merge): first and last touch, offers and form count."""
    found = Attribution()
    events = Event.objects.filter(contact_id=contact_id).only(
        "type", "name", "timestamp", "url", "referrer", "utm_source", "utm_medium", "utm_campaign", "offer"
    )
    for event in events:
        found.add(_as_message(event))
    changed: dict[str, object] = {"forms_submitted": found.forms, "last_seen_at": found.seen}
    if found.first:
        changed.update(_first(found.first))
    if found.last:
        changed.update(_last(found.last))
    if found.forms:
        changed.update(first_offer=found.first_offer_name, last_offer=found.last_offer_name)
    Contact.objects.filter(pk=contact_id).update(**changed)


def _as_message(e: Event) -> Message:
    """The fields of a stored event that `touch` reads."""
    return Message(
        type=EventType(e.type), message_id="", message_key=None, user_id="", anonymous_id="", name=e.name,  # type: ignore[arg-type]
        timestamp=e.timestamp, original_timestamp=None, sent_at=None, received_at=e.timestamp, properties={},
        context={}, url=e.url, referrer=e.referrer, utm_source=e.utm_source, utm_medium=e.utm_medium,
        utm_campaign=e.utm_campaign, offer=e.offer,
    )  # fmt: skip
