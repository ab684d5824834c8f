"""What deals tell people, through the outbox in the deal's transaction: marketing hears that a
contact it sourced became an opportunity, and how the deal ended; the deal's owner hears too."""

from __future__ import annotations

from typing import Any

from accord.deals import domain
from accord.deals.models import Deal
from accord.notify import audiences
from accord.notify.domain import Event
from accord.notify.outbox import Note, outbox_write


def _payload(deal: Deal) -> dict[str, Any]:
    return {
        "deal": deal.pk,
        "name": deal.name,
        "amount": deal.amount,
        "currency": deal.currency,
        "stage": deal.stage,
        "owner": deal.owner.email if deal.owner_id and deal.owner else None,
        "contact": deal.primary_contact_id,
        "account": deal.account_id,
        "source": deal.source,
        "campaign": deal.campaign,
        "loss_reason": deal.loss_reason or None,
    }


def told(deal: Deal, event: Event) -> None:
    contact = deal.primary_contact
    marketing: tuple[int, ...] = ()
    if contact is not None:
        marketing = audiences.marketing([(contact.pk, contact.first_campaign, contact.last_campaign)]).get(
            contact.pk, ()
        )
    amount = f"{domain.major_units(deal.amount, deal.currency):,} {deal.currency}"
    who = str(contact) if contact is not None else deal.name
    if event is Event.OPPORTUNITY_CREATED:
        title, body, users = f"New opportunity: {deal.name} ({amount})", f"{who} is on an open deal.", marketing
    elif event is Event.DEAL_WON:
        title, body = f"Won: {deal.name} ({amount})", f"{who} is a customer."
        users = (*marketing, deal.owner_id) if deal.owner_id else marketing
    else:
        title, body = f"Lost: {deal.name} ({amount}, {deal.loss_reason})", f"{who} goes back to marketing."
        users = (*marketing, deal.owner_id) if deal.owner_id else marketing
    outbox_write(
        [
            Note(
                event,
                f"{event.value}:{deal.pk}",
                title,
                body,
                f"/deals/{deal.pk}/",
                _payload(deal),
                tuple(u for u in users if u),
            )
        ]
    )
