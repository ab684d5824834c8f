"""Deals and the stages they gate.

Given the default playbook, whose opportunity stage needs an open deal and whose customer stage
needs a won one, when a rep opens, wins or loses a deal, then the contacts move through the stage
machine in the deal's transaction, the counts those criteria read follow, and refused input
writes nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading

import pytest
from django.db import connection

from accord.accounts.models import User
from accord.contacts.actions import contact_create
from accord.contacts.models import Account, Contact
from accord.core import clock
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.deals import actions, domain
from accord.deals.models import Deal, DealChange, DealContact
from accord.lifecycle import actions as lifecycle
from accord.lifecycle.models import StageChange

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def contact(users: dict[str, User]) -> Contact:
    """A contact in SQL, on an account."""
    account = Account.objects.create(name="Acme", domain="acme.io")
    made = contact_create(data={"email": "ana@acme.io", "consent": True}, acting_user=users["admin"])
    Contact.objects.filter(pk=made.pk).update(account=account, stage="sql")
    made.refresh_from_db()
    return made


def open_deal(contact: Contact, user: User, **extra: object) -> Deal:
    fields: dict[str, object] = {"name": "Acme platform", "amount": "12500.50", "currency": "usd", **extra}
    with clock.frozen(NOW):
        return actions.deal_create(contact=contact, acting_user=user, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12500.50", "USD", 1250050), (12500, "EUR", 1250000), ("0", "GBP", 0), ("1500", "JPY", 1500),
     ("1.234", "BHD", 1234), (decimal.Decimal("99.9"), "USD", 9990)],
)  # fmt: skip
def test_amounts_are_stored_in_minor_units(amount, currency, minor):
    assert domain.minor_units(amount, currency) == minor
    assert domain.major_units(minor, currency) == decimal.Decimal(str(amount)).quantize(
        decimal.Decimal(1).scaleb(-domain.CURRENCIES[currency])
    )


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [("-1", "USD", "must not be negative"), ("ten", "USD", "'ten' is not a number"), (True, "USD", "must be a number"),
     ("1.5", "JPY", "JPY has 0 decimal places"), ("1.001", "USD", "USD has 2 decimal places"),
     ("NaN", "USD", "must be a finite number"), ("1e30", "USD", "is too large"), (None, "USD", "must be a number")],
)  # fmt: skip
def test_bad_amounts_are_refused_with_the_reason(amount, currency, message):
    with pytest.raises(ValueError, match=message):
        domain.minor_units(amount, currency)


@pytest.mark.django_db
def test_the_first_open_deal_makes_the_contact_an_opportunity(users, contact):
    deal = open_deal(contact, users["sales_rep"], expected_close=dt.date(2027, 2, 1))
    contact.refresh_from_db()
    assert (contact.stage, contact.open_deals, contact.won_deals) == ("opportunity", 1, 0)
    assert (deal.amount, deal.currency, deal.stage, deal.owner, deal.account_id) == (
        1250050, "USD", "open", users["sales_rep"], contact.account_id)  # fmt: skip
    assert list(DealContact.objects.values_list("contact_id", flat=True)) == [contact.pk]
    assert list(DealChange.objects.values_list("kind", flat=True)) == ["created"]
    move = StageChange.objects.filter(contact=contact).latest("id")
    assert (move.from_stage, move.to_stage, move.by_user) == ("sql", "opportunity", users["sales_rep"])


@pytest.mark.django_db
def test_winning_makes_every_contact_on_the_deal_and_the_account_customers(users, contact):
    other = contact_create(data={"email": "bo@acme.io"}, acting_user=users["admin"])
    deal = open_deal(contact, users["sales_rep"], other_contacts=[other])
    with clock.frozen(NOW + dt.timedelta(days=20)):
        actions.deal_win(deal=deal, acting_user=users["sales_rep"])
    contact.refresh_from_db()
    other.refresh_from_db()
    assert [(c.stage, c.open_deals, c.won_deals) for c in (contact, other)] == [("customer", 0, 1), ("customer", 0, 1)]
    assert Account.objects.get().customer_since == NOW + dt.timedelta(days=20)
    assert list(DealChange.objects.values_list("kind", flat=True)) == ["created", "won"]


@pytest.mark.django_db
def test_losing_hands_the_contact_back_with_the_loss_reason(users, contact):
    deal = open_deal(contact, users["sales_rep"])
    with clock.frozen(NOW):
        actions.deal_lose(deal=deal, acting_user=users["sales_rep"], reason="price")
    contact.refresh_from_db()
    assert (contact.stage, contact.open_deals, contact.reengage_on) == ("recycled", 0, dt.date(2027, 3, 1))
    move = StageChange.objects.filter(contact=contact).latest("id")
    assert (move.kind, move.reason) == ("hand_back", "price")
    assert Deal.objects.get().loss_reason == "price"


@pytest.mark.django_db
def test_another_open_deal_keeps_the_contact_an_opportunity_when_one_is_lost(users, contact):
    first = open_deal(contact, users["sales_rep"])
    open_deal(contact, users["sales_rep"], name="Second")
    actions.deal_lose(deal=first, acting_user=users["sales_rep"], reason="price")
    contact.refresh_from_db()
    assert (contact.stage, contact.open_deals) == ("opportunity", 1)


@pytest.mark.django_db
def test_no_one_reaches_opportunity_or_customer_without_a_deal(users, contact):
    for stage in ("opportunity", "customer"):
        with pytest.raises(Conflict, match="entry criteria"):
            lifecycle.contact_change_stage(contact=contact, to_stage=stage, acting_user=users["admin"])
    contact.refresh_from_db()
    assert contact.stage == "sql"


REFUSED = [
    ({"amount": "-5"}, "amount", "must not be negative"),
    ({"amount": "lots"}, "amount", "is not a number"),
    ({"currency": "XXX"}, "currency", "unknown currency 'XXX'"),
    ({"currency": None}, "currency", "unknown currency"),
    ({"name": "  "}, "name", "is required"),
    ({"name": "x" * 201}, "name", "at most 200 characters"),
]


@pytest.mark.parametrize(("change", "field", "message"), REFUSED)
@pytest.mark.django_db
def test_a_refused_deal_writes_nothing(users, contact, change, field, message):
    with pytest.raises(InvalidInput) as raised:
        open_deal(contact, users["sales_rep"], **change)
    assert raised.value.field == field and message in raised.value.message
    contact.refresh_from_db()
    assert (Deal.objects.count(), DealChange.objects.count(), contact.stage, contact.open_deals) == (0, 0, "sql", 0)


@pytest.mark.parametrize(
    ("reason", "note", "field", "message"),
    [(None, "", "reason", "a loss reason is required"), ("cheap", "", "reason", "unknown loss reason 'cheap'"),
     ("other", "", "note", "needs a note")],
)  # fmt: skip
@pytest.mark.django_db
def test_a_refused_loss_writes_nothing(users, contact, reason, note, field, message):
    deal = open_deal(contact, users["sales_rep"])
    with pytest.raises(InvalidInput) as raised:
        actions.deal_lose(deal=deal, acting_user=users["sales_rep"], reason=reason, note=note)
    assert raised.value.field == field and message in raised.value.message
    assert (Deal.objects.get().stage, DealChange.objects.count()) == ("open", 1)


@pytest.mark.django_db
def test_closing_a_deal_twice_is_a_conflict_with_its_state(users, contact):
    deal = open_deal(contact, users["sales_rep"])
    actions.deal_win(deal=deal, acting_user=users["sales_rep"])
    with pytest.raises(Conflict) as raised:
        actions.deal_lose(deal=deal, acting_user=users["sales_rep"], reason="price")
    assert raised.value.current is not None and raised.value.current["stage"] == "won"
    assert list(DealChange.objects.values_list("kind", flat=True)) == ["created", "won"]


@pytest.mark.django_db
def test_marketing_and_viewers_cannot_write_deals(users, contact):
    for role in ("marketing", "viewer"):
        with pytest.raises(PermissionDenied):
            open_deal(contact, users[role])
    assert Deal.objects.count() == 0


@pytest.mark.django_db
def test_a_merge_carries_the_deals_and_their_counts(users, contact):
    other = contact_create(data={"email": "ana.other@acme.io"}, acting_user=users["admin"])
    open_deal(contact, users["sales_rep"])
    lifecycle.contact_merge(keep=other, drop=contact, acting_user=users["admin"])
    other.refresh_from_db()
    assert (other.open_deals, other.stage) == (1, "opportunity")
    assert list(DealContact.objects.values_list("contact_id", flat=True)) == [other.pk]


@pytest.mark.django_db(transaction=True)
def test_winning_and_losing_at_once_one_wins_the_other_gets_409(users, contact):
    deal = open_deal(contact, users["sales_rep"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(verb: str) -> None:
        try:
            barrier.wait()
            if verb == "win":
                actions.deal_win(deal=deal, acting_user=users["sales_rep"])
            else:
                actions.deal_lose(deal=deal, acting_user=users["sales_manager"], reason="price")
            outcomes.append(verb)
        except Conflict as exc:
            outcomes.append(f"409 {exc.current and exc.current['stage']}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(v,)) for v in ("win", "lose")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winner = Deal.objects.get().stage
    assert sorted(outcomes) == sorted([{"won": "win", "lost": "lose"}[winner], f"409 {winner}"])
    assert DealChange.objects.filter(kind__in=["won", "lost"]).count() == 1
