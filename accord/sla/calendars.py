"""Team calendars in versions: the one in force for each team, and writing the next one.

A team that has never had a calendar written gets version 1 from its working hours and time
zone the first time a clock needs it. Writing a version also sets the team's `hours` and
`time_zone` (what routing's `working_hours` reads), and moves the running clocks of that team
onto the new version from that moment: what ran before stays judged under the version it ran
under, and `business minutes used` is carried over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from accord.accounts.domain import Capability, refusal
from accord.accounts.models import Team, User
from accord.core import audit, clock
from accord.core.errors import InvalidInput, PermissionDenied
from accord.sla import domain
from accord.sla.models import CalendarVersion, Milestone


def document_of(team: Team) -> dict[str, Any]:
    """A calendar document from what the team row holds (no holidays, no closures)."""
    return {"time_zone": team.time_zone or "UTC", "hours": team.hours or {}, "holidays": [], "closures": []}


def in_force(team_ids: Iterable[int], *, at: dt.datetime | None = None) -> dict[int, CalendarVersion]:
    """Each team's calendar version in force (its latest; with `at`, the latest written by then,
    for replaying the past), writing version 1 for teams that have none."""
    wanted = sorted({t for t in team_ids if t is not None})
    if not wanted:
        return {}
    found: dict[int, CalendarVersion] = {}
    versions = CalendarVersion.objects.filter(team_id__in=wanted)
    if at is not None:
        versions = versions.filter(created_at__lte=at)
    for version in versions.order_by("team_id", "-number"):
        found.setdefault(version.team_id, version)
    missing = [t for t in wanted if t not in found]
    if missing:
        for team in Team.objects.filter(pk__in=missing).order_by("pk"):
            document = _usable(document_of(team))
            first: CalendarVersion | None
            first = CalendarVersion.objects.filter(team=team, number=1).first()  # when replaying before it
            if first is None:
                first = CalendarVersion.objects.create(
                    team=team, number=1, document=document, note="from the team's working hours",
                    created_at=min(clock.now(), at) if at is not None else clock.now(),
                )  # fmt: skip
            found[team.pk] = first
    return found


def _usable(document: dict[str, Any]) -> dict[str, Any]:
    """The team's stored hours as a calendar; always open in its zone when they no longer parse."""
    try:
        domain.parse_calendar(document)
    except domain.CalendarError:
        zone = document["time_zone"] if _zone_ok(document["time_zone"]) else "UTC"
        return {"time_zone": zone, "hours": {d: [["00:00", "24:00"]] for d in _DAYS}, "holidays": [], "closures": []}
    return document


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _zone_ok(name: object) -> bool:
    try:
        domain.parse_calendar({"time_zone": name})
    except domain.CalendarError:
        return False
    return True


def calendar_save(*, team: Team, document: object, acting_user: User, note: object = "") -> CalendarVersion:
    """Write the team's next calendar version; InvalidInput naming the field, nothing written."""
    if not acting_user.can(Capability.USER_ADMIN):
        raise PermissionDenied(refusal(Capability.USER_ADMIN))
    try:
        calendar = domain.parse_calendar(document)
    except domain.CalendarError as error:
        raise InvalidInput(str(error), field=error.path) from None
    if not isinstance(note, str) or len(note) > 200 or "\x00" in note:
        raise InvalidInput("note: must be text of at most 200 characters", field="note")
    assert isinstance(document, Mapping)
    stored = {
        "time_zone": calendar.time_zone,
        "hours": document.get("hours", {}),
        "holidays": document.get("holidays", []),
        "closures": document.get("closures", []),
    }
    now = clock.now()
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        previous = in_force([locked.pk]).get(locked.pk)
        number = (previous.number if previous else 0) + 1
        version = CalendarVersion.objects.create(
            team=locked, number=number, document=stored, created_by=acting_user, note=note.strip(), created_at=now
        )
        locked.hours, locked.time_zone = stored["hours"], calendar.time_zone
        locked.save(update_fields=["hours", "time_zone"])
        moved = rebase(locked.pk, version, now=now)
        audit.record(
            action="calendar_save",
            obj=version,
            actor=acting_user,
            before={"version": previous.number if previous else None},
            after={"version": number},
            details={"team": locked.name, "running_clocks_moved": moved},
        )
    team.hours, team.time_zone = locked.hours, locked.time_zone
    return version


def rebase(team_id: int, version: CalendarVersion, *, now: Any) -> int:
    """Move the team's running clocks onto `version` from `now` (paused ones when they resume)."""
    from accord.sla import clocks  # clocks read the calendars in force

    running = list(
        Milestone.objects.select_for_update(of=("self",))
        .select_related("calendar")
        .filter(team_id=team_id, state__in=[Milestone.State.RUNNING, Milestone.State.PAUSED])
    )
    calendar = version.calendar
    for milestone in running:
        if milestone.state == Milestone.State.RUNNING:
            milestone.used_minutes = clocks.minutes(milestone.used(now))
            milestone.segment_started_at = now
        milestone.calendar = version
        clocks.schedule(milestone, calendar, now=now)
    Milestone.objects.bulk_update(running, ["used_minutes", "segment_started_at", "calendar", "due_at", "remind_at"])
    return len(running)
