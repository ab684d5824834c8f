"""The history rows of deals (not saved: the caller writes them in the deal's transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from accord.accounts.models import User
from accord.deals.models import Deal, DealChange


def deal_change(
    deal: Deal,
    kind: str,
    *,
    at: dt.datetime,
    by_user: User | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> DealChange:
    return DealChange(deal=deal, kind=kind, at=at, by_user=by_user, before=dict(before or {}), after=dict(after or {}))
