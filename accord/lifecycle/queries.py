"""Reads of the stage machine: a contact's history (whole, or a page of it for the timeline), the
moves open to a person now, how many contacts are in each stage, the latest moves and the moves of
the last weeks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Count, Min, Q, QuerySet, Value, When
from django.utils import timezone

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.core.bulk import read_natively
from accord.lifecycle import domain
from accord.lifecycle.models import StageChange
from accord.playbook.domain.document import Playbook, Reason, Stage, StageKind


def stage_history(contact: Contact) -> QuerySet[StageChange]:
    return (
        StageChange.objects.filter(contact=contact).select_related("by_user", "playbook_version").order_by("at", "id")
    )


def stage_changes_page(
    contact: Contact, *, before: dt.datetime | None = None, before_id: int | None = None, limit: int
) -> list[StageChange]:
    """The contact's stage changes newest first (by time, then id), at most `limit`, with who made
    them and the playbook version: with `before`, only those before that instant, and with
    `before_id` too, those of that very instant whose id is lower. Reads the (contact, at) index."""
    changes = StageChange.objects.filter(contact=contact).select_related("by_user", "playbook_version")
    if before is not None:
        older = Q(at__lt=before)
        if before_id is not None:
            older |= Q(at=before, id__lt=before_id)
        changes = changes.filter(older)
    return list(changes.order_by("-at", "-id")[:limit])


def stage_change_time(contact: Contact, pk: int) -> dt.datetime | None:
    """When the contact's stage change `pk` happened; None when it has no such change."""
    return StageChange.objects.filter(pk=pk, contact=contact).values_list("at", flat=True).first()


def recent_changes(limit: int = 10) -> list[StageChange]:
    """The latest stage changes across every contact, newest first, with the contact, who made them
    and the playbook version."""
    changes = StageChange.objects.select_related("contact", "by_user", "playbook_version").order_by("-at", "-id")
    return list(changes[:limit])


@dataclass(frozen=True)
class StageCount:
    key: str  # a stage key of the playbook, a key it does not know, or "" (no stage)
    count: int
    funnel: bool  # a funnel stage (not recycled, disqualified, unknown or no stage)


def contacts_by_stage(playbook: Playbook, contacts: QuerySet[Contact]) -> list[StageCount]:
    """How many of `contacts` are in each stage, in the playbook's order; then unknown keys; then no stage."""
    found = {row["stage"]: row["n"] for row in contacts.order_by().values("stage").annotate(n=Count("id"))}
    counts = [StageCount(s.key, found.pop(s.key, 0), s.kind is StageKind.FUNNEL) for s in playbook.stages]
    none = found.pop("", 0)
    counts += [StageCount(key, n, False) for key, n in sorted(found.items())]
    counts.append(StageCount("", none, False))
    return counts


def first_entries(contact_ids: Sequence[int], stages: Sequence[str]) -> dict[int, dict[str, dt.datetime]]:
    """When each contact first entered each of `stages`, from its history, in one query: {contact
    id: {stage: time}}; a stage never entered is left out. On PostgreSQL the ids travel as one
    array (`= ANY(%s)`), which costs the same for 2,000 ids as for 2."""
    if not contact_ids or not stages:
        return {}
    found: dict[int, dict[str, dt.datetime]] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            read_natively(cursor)
            cursor.execute(
                f"SELECT contact_id, to_stage, min(at) FROM {StageChange._meta.db_table} "
                "WHERE contact_id = ANY(%s) AND to_stage = ANY(%s) GROUP BY contact_id, to_stage",
                [list(contact_ids), list(stages)],
            )
            rows = cursor.fetchall()
    else:
        rows = list(
            StageChange.objects.filter(contact_id__in=contact_ids, to_stage__in=stages)
            .order_by()
            .values_list("contact_id", "to_stage")
            .annotate(first=Min("at"))
        )
    for contact_id, stage, first in rows:
        found.setdefault(contact_id, {})[stage] = first
    return found


@dataclass(frozen=True)
class MoveOption:
    stage: Stage
    kind: domain.MoveKind
    reasons: tuple[Reason, ...]
    needs_reengage_date: bool


def move_options(playbook: Playbook, contact: Contact, user: User) -> list[MoveOption]:
    """The stages this user may try to move this contact to, with the reasons each would need."""
    sides = user.acts_for()
    options = []
    for stage in playbook.stages:
        try:
            row = domain.transition(playbook, contact.stage or None, stage.key)
        except domain.IllegalMove:
            continue
        if not sides & row.sides:
            continue
        reasons = playbook.reasons.get(row.reason_list, ()) if row.reason_list else ()
        options.append(MoveOption(stage, row.kind, reasons, row.needs_reengage_date))
    return options


@dataclass(frozen=True)
class Week:
    start: dt.date
    advance: int
    hand_back: int

    @property
    def total(self) -> int:
        return self.advance + self.hand_back


def weekly_changes(*, now: dt.datetime, days: int = 30) -> list[Week]:
    """Stage changes of the last `days` days, by week (Monday first), forward moves and hand-backs apart.

    A change belongs to the week in which its day falls in the current time zone (as the database
    truncates a time to its week); it is put there by comparing its time with the first instants
    of the weeks, so the database reads the `at` index and works out no date per row."""
    since = now - dt.timedelta(days=days)
    zone = timezone.get_current_timezone()
    mondays = [_monday(since.astimezone(zone).date())]
    while mondays[-1] < _monday(now.astimezone(zone).date()):
        mondays.append(mondays[-1] + dt.timedelta(days=7))
    # The index of the week a change falls in: before the second Monday's first instant, 0; and so on.
    firsts = [dt.datetime.combine(monday, dt.time(), tzinfo=zone) for monday in mondays[1:]]
    week = Case(*[When(at__lt=first, then=Value(i)) for i, first in enumerate(firsts)], default=Value(len(firsts)))
    rows = (
        StageChange.objects.filter(
            at__gte=since, at__lte=now, kind__in=[domain.MoveKind.ADVANCE, domain.MoveKind.HAND_BACK]
        )
        .annotate(week=week)
        .order_by()
        .values("week", "kind")
        .annotate(n=Count("id"))
    )
    found = {(mondays[row["week"]], row["kind"]): row["n"] for row in rows}
    weeks = []
    start = _monday(since.date())
    while start <= now.date():
        weeks.append(
            Week(
                start, found.get((start, domain.MoveKind.ADVANCE), 0), found.get((start, domain.MoveKind.HAND_BACK), 0)
            )
        )
        start += dt.timedelta(days=7)
    return weeks


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
