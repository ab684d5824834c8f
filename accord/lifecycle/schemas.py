from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from accord.core.schemas import InputSchema


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
