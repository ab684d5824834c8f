"""The SLA's history rows: one `SlaEvent` per thing that happened to a milestone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accord.sla.models import Milestone, SlaEvent


def sla_event(
    milestone: Milestone,
    kind: SlaEvent.Kind,
    *,
    at: dt.datetime,
    by_user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> SlaEvent:
    return SlaEvent(
        milestone=milestone,
        handoff_id=milestone.handoff_id,
        kind=kind,
        at=at,
        owner_id=milestone.owner_id,
        team_id=milestone.team_id,
        by_user_id=by_user_id,
        details={"kind": milestone.kind, **(details or {})},
    )
