"""What deals tell people: marketing (the campaign's owner, else its managers) hears of each new
opportunity and of how it ended; the deal's owner of its end."""

from __future__ import annotations

import pytest

from accord.accounts.models import User
from accord.campaigns.models import Campaign
from accord.contacts.actions import contact_create
from accord.contacts.models import Contact
from accord.deals.actions import deal_create, deal_lose, deal_win
from accord.notify.models import Message, Notification


def told(event: str) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(message__event=event).values_list("user__email", "message__title"))


@pytest.mark.django_db
def test_an_opportunity_and_its_win_tell_the_campaign_owner_and_the_deal_owner(users):
    cara = User.objects.create_user("cara@example.com", "pw", role="marketing")
    Campaign.objects.create(name="Webinar", utm_campaign="q4-webinar", owner=cara)
    contact = contact_create(data={"email": "jane@acme.io", "first_name": "Jane"}, acting_user=users["admin"])
    Contact.objects.filter(pk=contact.pk).update(first_campaign="q4-webinar")
    contact.refresh_from_db()
    rep = users["sales_rep"]
    deal = deal_create(contact=contact, acting_user=rep, name="Acme pilot", amount="12500.50", currency="EUR")
    assert told("deal.opportunity_created") == [("cara@example.com", "New opportunity: Acme pilot (12,500.50 EUR)")]
    deal_win(deal=deal, acting_user=rep)
    assert told("deal.won") == [("cara@example.com", "Won: Acme pilot (12,500.50 EUR)"),
                                (deal.owner.email, "Won: Acme pilot (12,500.50 EUR)")]  # fmt: skip
    payload = Message.objects.get(event="deal.won").payload
    assert (payload["amount"], payload["currency"], payload["campaign"]) == (1250050, "EUR", "q4-webinar")


@pytest.mark.django_db
def test_a_lost_deal_without_a_campaign_tells_every_marketing_manager(users):
    contact = contact_create(data={"email": "jane@acme.io"}, acting_user=users["admin"])
    rep = users["sales_rep"]
    deal = deal_create(contact=contact, acting_user=rep, name="Acme", amount="100", currency="USD")
    deal_lose(deal=deal, acting_user=rep, reason="price")
    assert [email for email, _ in told("deal.lost")] == sorted(["marketing@example.com", deal.owner.email])
