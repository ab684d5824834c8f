"""The SLA sweep: once a minute, breach the milestones whose due moment has passed and escalate
them to the team's manager, and remind owners of those about to breach.

Set-based: each batch locks its milestones (SKIP LOCKED, so two sweeps at once share the work
and never double it), changes them in one UPDATE, and writes their history and notifications in
the same transaction. A milestone is breached and reminded once: the next sweep no longer finds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F

from accord.core import bulk, clock
from accord.notify.domain import Event
from accord.notify.outbox import Note, outbox_write
from accord.sla.models import Milestone, SlaEvent

BATCH = 5000
_LABEL = {"first_touch": "first touch", "touches": "touches", "disposition": "disposition"}
_FIELDS = (
    "pk",
    "kind",
    "handoff_id",
    "owner_id",
    "team_id",
    "due_at",
    "target_minutes",
    "priority",
    "owner__email",
    "team__name",
    "team__manager_id",
    "handoff__contact_id",
    "handoff__contact__first_name",
    "handoff__contact__last_name",
    "handoff__contact__email",
)


def sweep(*, now: dt.datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Breach and remind what is due by `now`; how many of each."""
    at = now or clock.now()
    counts = {"breached": 0, "reminded": 0}
    while n := _breach(at, batch):
        counts["breached"] += n
    while n := _remind(at, batch):
        counts["reminded"] += n
    return counts


def _breach(now: dt.datetime, batch: int) -> int:
    with transaction.atomic():
        ids = _claim(Milestone.objects.filter(state=Milestone.State.RUNNING, due_at__lte=now), "due_at", batch)
        if not ids:
            return 0
        Milestone.objects.filter(pk__in=ids).update(
            state=Milestone.State.BREACHED, breached_at=F("due_at"), escalated_at=now, remind_at=None
        )
        rows = list(Milestone.objects.filter(pk__in=ids).values(*_FIELDS))
        events = []
        for row in rows:
            base = {
                "milestone_id": row["pk"],
                "handoff_id": row["handoff_id"],
                "owner_id": row["owner_id"],
                "team_id": row["team_id"],
                "by_user_id": None,
            }
            events.append(
                {**base, "kind": SlaEvent.Kind.BREACHED, "at": row["due_at"], "details": {"kind": row["kind"]}}
            )
            escalated = {"kind": row["kind"], "to": row["team__manager_id"]}
            events.append({**base, "kind": SlaEvent.Kind.ESCALATED, "at": now, "details": escalated})
        bulk.insert_rows(SlaEvent, events)
        outbox_write([_note(Event.SLA_BREACHED, row) for row in rows])
    return len(ids)


def _remind(now: dt.datetime, batch: int) -> int:
    with transaction.atomic():
        due = Milestone.objects.filter(
            state=Milestone.State.RUNNING, reminded_at__isnull=True, remind_at__lte=now, due_at__gt=now
        )
        ids = _claim(due, "remind_at", batch)
        if not ids:
            return 0
        Milestone.objects.filter(pk__in=ids).update(reminded_at=now)
        rows = list(Milestone.objects.filter(pk__in=ids).values(*_FIELDS))
        events = [
            {
                "milestone_id": row["pk"],
                "handoff_id": row["handoff_id"],
                "owner_id": row["owner_id"],
                "team_id": row["team_id"],
                "by_user_id": None,
                "kind": SlaEvent.Kind.REMINDED,
                "at": now,
                "details": {"kind": row["kind"], "due_at": row["due_at"].isoformat()},
            }
            for row in rows
        ]
        bulk.insert_rows(SlaEvent, events)
        outbox_write([_note(Event.SLA_REMINDER, row) for row in rows])
    return len(ids)


def _claim(query: Any, order: str, batch: int) -> list[int]:
    return list(query.select_for_update(skip_locked=True).order_by(order, "pk").values_list("pk", flat=True)[:batch])


def _note(event: Event, row: dict[str, Any]) -> Note:
    who = " ".join(p for p in (row["handoff__contact__first_name"], row["handoff__contact__last_name"]) if p)
    who = who or row["handoff__contact__email"] or f"contact {row['handoff__contact_id']}"
    what = _LABEL.get(row["kind"], row["kind"])
    due = row["due_at"]
    owner = row["owner__email"] or f"{row['team__name'] or 'the'} queue"
    if event is Event.SLA_BREACHED:
        title = f"SLA breached: {what} for {who}"
        body = f"The {what} was due {due:%Y-%m-%d %H:%M} UTC and has not happened. Owner: {owner}."
        users: Sequence[int | None] = (row["team__manager_id"], row["owner_id"])
    else:
        title = f"Reminder: {what} for {who} is due {due:%H:%M} UTC"
        body = f"The {what} is due {due:%Y-%m-%d %H:%M} UTC."
        users = (row["owner_id"],) if row["owner_id"] else (row["team__manager_id"],)
    return Note(
        event,
        f"{event.value}:milestone:{row['pk']}",
        title,
        body,
        f"/contacts/{row['handoff__contact_id']}/",
        {
            "milestone": row["pk"],
            "kind": row["kind"],
            "handoff": row["handoff_id"],
            "contact": row["handoff__contact_id"],
            "owner": row["owner__email"],
            "team": row["team__name"],
            "priority": row["priority"],
            "due_at": due.isoformat(),
        },
        tuple(u for u in users if u),
    )
