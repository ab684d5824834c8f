from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from accord.core.schemas import Id, InputSchema, Moment


class StageChangeIn(InputSchema):
    stage: str = Field(description="The stage key to move to, e.g. sql or recycled.", max_length=40)
    reason: str | None = Field(
        None, max_length=100, description="Required for a hand-back: a key from the playbook's reason list."
    )
    note: str = Field("", max_length=2000)
    reengage_on: dt.date | None = Field(
        None, description="For recycled: when marketing looks again (default in 90 days)."
    )


class StageChangeOut(Schema):
    id: int
    contact_id: int
    from_stage: str
    to_stage: str
    kind: str
    at: dt.datetime
    by_user: str | None = Field(None, alias="by_user.email")
    by_rule: str
    playbook_version: int = Field(alias="playbook_version.number")
    reason: str
    note: str
    reengage_on: dt.date | None
    details: dict[str, Any]
    merged_from: int | None


class TransitionOut(Schema):
    from_stage: str | None
    to_stage: str
    kind: str
    sides: list[str]
    by_rule: bool
    reason_list: str | None
    needs_reengage_date: bool


class HandoffOut(Schema):
    id: int
    contact_id: int
    owner_id: int | None = Field(description="None: in the team's queue.")
    team_id: int | None
    rule: str = Field(description="The routing rule that matched (default when none did).")
    method: str
    priority: str
    quadrant: str
    state: str
    created_at: dt.datetime = Field(description="When the contact became an MQL.")
    assigned_at: dt.datetime | None
    first_touch_at: dt.datetime | None
    touches: int
    closed_at: dt.datetime | None
    closed_by_id: int | None
    reason: str
    note: str
    reengage_on: dt.date | None
    trace: dict[str, Any] = Field(
        description="Every routing rule tried and every rep considered, with why each was skipped."
    )


class HandoffChangeOut(Schema):
    id: int
    kind: str
    at: dt.datetime
    by_user_id: int | None
    from_owner_id: int | None
    to_owner_id: int | None
    reason: str
    note: str
    details: dict[str, Any]


class HandoffRejectIn(InputSchema):
    reason: str = Field(max_length=40, description="A key from the playbook's reject reasons.")
    note: str = Field("", max_length=5000, description="Required when the reason says so.")


class HandoffRecycleIn(InputSchema):
    reason: str = Field(max_length=40, description="A key from the playbook's recycle reasons.")
    note: str = Field("", max_length=5000)
    reengage_on: dt.date = Field(description="When marketing may look again: a date after today.")


class HandoffTouchIn(InputSchema):
    channel: str = Field(max_length=10, description="call, email, meeting or linkedin.")
    outcome: str = Field(
        max_length=20, description="connected, left_message, no_answer, replied, meeting_booked or bounced."
    )
    note: str = Field("", max_length=5000)
    at: Moment | None = Field(None, description="When it happened (default: now); never in the future.")


class HandoffTouchOut(Schema):
    id: int
    contact_id: int
    handoff_id: int | None
    user_id: int | None
    channel: str
    outcome: str
    note: str
    at: dt.datetime


class HandoffReassignIn(InputSchema):
    owner_id: Id = Field(description="The rep who takes the hand-off.")
    reason: str = Field(max_length=5000, description="Why, kept in the hand-off's history.")
