"""Who hears of an event meant for marketing: the owner of the campaign a contact came from,
or, without one, every active marketing manager.

Campaigns sit above notifications, so they register how a contact's campaign owner is found
(`marketing_owner_finder`) when the app loads; the apps that notify ask through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from accord.accounts.domain import Role
from accord.accounts.models import User

# (contact id, its first campaign, its last campaign) pairs → {contact id: owner id}
Finder = Callable[[Iterable[tuple[int, str, str]]], Mapping[int, int]]
_finders: list[Finder] = []


def marketing_owner_finder(finder: Finder) -> Finder:
    if finder not in _finders:
        _finders.append(finder)
    return finder


def marketing(contacts: Iterable[tuple[int, str, str]]) -> dict[int, tuple[int, ...]]:
    """For each (contact id, first campaign, last campaign): who in marketing to tell."""
    wanted = list(contacts)
    owners: dict[int, int] = {}
    for finder in _finders:
        owners.update(finder(wanted))
    everyone: tuple[int, ...] | None = None
    found: dict[int, tuple[int, ...]] = {}
    for contact_id, _, _ in wanted:
        if contact_id in owners:
            found[contact_id] = (owners[contact_id],)
            continue
        if everyone is None:
            everyone = tuple(
                User.objects.filter(role=Role.MARKETING, is_active=True).order_by("pk").values_list("pk", flat=True)
            )
        found[contact_id] = everyone
    return found
