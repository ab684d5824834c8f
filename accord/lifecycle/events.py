"""The history rows of hand-offs, one builder for each (not saved: the caller writes them in its
transaction, one at a time or in one insert)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from accord.accounts.models import User
from accord.lifecycle.models import Handoff, HandoffChange

Kind = HandoffChange.Kind


def handoff_change(
    handoff: Handoff,
    kind: str,
    *,
    at: dt.datetime,
    by_user: User | None = None,
    from_owner_id: int | None = None,
    to_owner_id: int | None = None,
    reason: str = "",
    note: str = "",
    details: Mapping[str, Any] | None = None,
) -> HandoffChange:
    return HandoffChange(
        handoff=handoff,
        kind=kind,
        at=at,
        by_user=by_user,
        from_owner_id=from_owner_id,
        to_owner_id=to_owner_id,
        reason=reason,
        note=note,
        details=dict(details or {}),
    )


def handoff_routed(handoff: Handoff, *, at: dt.datetime) -> HandoffChange:
    """Routing gave the hand-off an owner, or left it in its team's queue."""
    kind = Kind.ROUTED if handoff.owner_id is not None else Kind.QUEUED
    details = {"rule": handoff.rule, "method": handoff.method, "team": handoff.team_id}
    return handoff_change(handoff, kind, at=at, to_owner_id=handoff.owner_id, details=details)


def handoff_closed(
    handoff: Handoff, kind: str, *, at: dt.datetime, by_user: User | None, stage: str, reason: str = "", note: str = ""
) -> HandoffChange:
    """The hand-off ended: accepted, rejected, recycled, or closed by a move elsewhere."""
    return handoff_change(handoff, kind, at=at, by_user=by_user, reason=reason, note=note, details={"stage": stage})
