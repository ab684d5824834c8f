"""A rep's away dates (holiday, leave): routing skips them from `away_from` to `away_until`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.core import audit
from accord.core.errors import InvalidInput


def user_set_away(
    *, user: User, away_from: dt.date | None, away_until: dt.date | None, acting_user: User | None
) -> User:
    """Set (or clear, with both None) when `user` is away; both dates included, one of them empty
    means open-ended on that side. Only sales managers and admins may."""
    require(acting_user, Capability.HANDOFF_MANAGE)
    for name, value in (("away_from", away_from), ("away_until", away_until)):
        if value is not None and not isinstance(value, dt.date):
            raise InvalidInput(f"{name}: must be a date", field=name)
    if away_from is not None and away_until is not None and away_until < away_from:
        raise InvalidInput("away_until: must be on or after the first day away", field="away_until")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = {"away_from": locked.away_from, "away_until": locked.away_until}
        after = {"away_from": away_from, "away_until": away_until}
        if before == after:
            return locked
        locked.away_from, locked.away_until = away_from, away_until
        locked.save(update_fields=["away_from", "away_until"])
        audit.record(action="user_set_away", obj=locked, actor=acting_user, before=before, after=after)
    return locked
