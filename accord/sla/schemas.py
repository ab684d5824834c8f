from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from accord.core.schemas import InputSchema


class CalendarIn(InputSchema):
    time_zone: str = Field("UTC", max_length=64, description="An IANA time zone, e.g. Europe/Berlin.")
    hours: dict[str, list[list[str]]] = Field(
        default_factory=dict, description='Weekly hours: {"mon": [["09:00", "17:00"]], …}; days left out are closed.'
    )
    holidays: list[Any] = Field(
        default_factory=list,
        max_length=1000,
        description='Closed all day: "2026-12-25" (that day), "12-25" (every year) or {"date", "label"}.',
    )
    closures: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=1000,
        description='One-off closures: {"from": moment, "to": moment, "label"}; a moment without an offset is '
        "a wall time in the calendar's zone.",
    )
    note: str = Field("", max_length=200, description="What this version changes.")


class CalendarOut(Schema):
    team_id: int
    number: int = Field(description="The version: each edit writes the next one; milestones keep theirs.")
    document: dict[str, Any]
    created_at: dt.datetime
    created_by: str | None = Field(None, alias="created_by.email")
    note: str


class MilestoneOut(Schema):
    id: int
    kind: str
    state: str
    owner: str | None = Field(None, alias="owner.email")
    team_id: int | None
    calendar_version: int | None = Field(None, alias="calendar.number")
    started_at: dt.datetime
    target_minutes: int
    required: int
    done: int
    due_at: dt.datetime | None
    remind_at: dt.datetime | None
    reminded_at: dt.datetime | None
    paused_at: dt.datetime | None
    completed_at: dt.datetime | None
    breached_at: dt.datetime | None
    escalated_at: dt.datetime | None
    used_minutes: int = Field(description="Business minutes used now (all of them once it stopped).")
    remaining_minutes: int = Field(description="Business minutes left now; negative once past due.")
    due_under_todays_calendar: dt.datetime | None = Field(
        None, description="When it would fall due under the team's calendar in force today, for comparison."
    )


class SlaEventOut(Schema):
    id: int
    milestone_id: int
    kind: str
    at: dt.datetime
    owner: str | None = Field(None, alias="owner.email")
    details: dict[str, Any]
