"""The owner of the campaign a contact came from (its last campaign, else its first), for
notifications meant for marketing."""

from __future__ import annotations

from collections.abc import Iterable

from accord.campaigns.models import Campaign


def campaign_owners(contacts: Iterable[tuple[int, str, str]]) -> dict[int, int]:
    wanted = list(contacts)
    names = {name.lower() for _, first, last in wanted for name in (last, first) if name}
    if not names:
        return {}
    owned = Campaign.objects.filter(utm_campaign__in=names, owner__isnull=False, owner__is_active=True)
    owner_of = dict(owned.values_list("utm_campaign", "owner_id"))
    found = {}
    for contact_id, first, last in wanted:
        for name in (last, first):
            if name and name.lower() in owner_of:
                found[contact_id] = owner_of[name.lower()]
                break
    return found
