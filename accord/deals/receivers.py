"""What deals do when something below them happens."""

from __future__ import annotations

from typing import Any

from accord.contacts.models import Contact
from accord.deals.actions import contacts_recount
from accord.deals.models import DealContact


def contact_merged(sender: Any, *, keep: Contact, dropped_id: int, **_: Any) -> None:
    """A merge re-pointed the dropped contact's deals at the kept one: one link per deal, and the
    kept contact's counts from its deals."""
    seen: set[int] = set()
    for link_id, deal_id in DealContact.objects.filter(contact=keep).order_by("id").values_list("id", "deal_id"):
        if deal_id in seen:
            DealContact.objects.filter(pk=link_id).delete()
        seen.add(deal_id)
    contacts_recount([keep.pk])
    keep.refresh_from_db(fields=["open_deals", "won_deals"])
