"""What one batch writes when it creates several contacts together and folds the attribution of
several contacts in one statement: the same as message by message, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from accord.contacts.models import ConsentChange, Contact
from accord.core import clock
from accord.tracking.ingest import record
from accord.tracking.models import Event, Identity

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def at(minutes: int) -> str:
    return (NOW - dt.timedelta(minutes=minutes)).isoformat()


def message(kind: str, minutes: int, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "messageId": str(uuid.uuid4()), "timestamp": at(minutes), **fields}


def campaign(source: str, name: str) -> dict[str, Any]:
    return {"campaign": {"source": source, "medium": "cpc", "name": name}}


def test_a_batch_creating_contacts_gives_each_its_ids_consent_and_events() -> None:
    # given three people nobody has sent yet, one of whom gives consent
    batch = [
        message("page", 50, userId="u-1", anonymousId="b-1", name="/"),
        message("identify", 40, userId="u-2", anonymousId="b-2", traits={"email": "two@acme.io", "consent": True}),
        message("track", 30, userId="u-3", event="Signed Up"),
        message("page", 20, anonymousId="b-1", name="/pricing"),
    ]
    # when one batch brings them in
    with clock.frozen(NOW):
        outcome = record(batch, sent_with="test", received_at=NOW)
    # then three contacts, created in the order the batch met them, each with its ids and events
    assert outcome.accepted == 4
    contacts = list(Contact.objects.order_by("pk"))
    assert [c.email for c in contacts] == [None, "two@acme.io", None]
    one, two, three = (c.pk for c in contacts)
    assert dict(Identity.objects.values_list("value", "contact_id")) == {
        "u-1": one, "b-1": one, "u-2": two, "b-2": two, "u-3": three,
    }  # fmt: skip
    assert sorted(Event.objects.values_list("user_id", "anonymous_id", "contact_id")) == sorted(
        [("u-1", "b-1", one), ("u-2", "b-2", two), ("u-3", "", three), ("", "b-1", one)]
    )
    assert list(ConsentChange.objects.values_list("contact_id", "consent", "via")) == [(two, True, "server")]
    assert contacts[1].consent is True


def test_a_contact_created_early_in_a_batch_can_be_merged_later_in_it() -> None:
    # given a known contact with an email
    known = Contact.objects.create(email="ana@acme.io", created_at=NOW - dt.timedelta(days=9))
    Identity.objects.create(kind="user", value="crm-1", contact=known)
    # when a batch first meets a new user id, then learns it is the same person by the email
    batch = [
        message("track", 30, userId="app-9", event="Logged In"),
        message("identify", 20, userId="app-9", traits={"email": "ana@acme.io"}),
        message("page", 10, userId="app-9", name="/"),
    ]
    with clock.frozen(NOW):
        outcome = record(batch, sent_with="test", received_at=NOW)
    # then the new contact is merged into the known one, with all three events and both ids
    assert outcome.accepted == 3
    assert list(Contact.objects.values_list("pk", flat=True)) == [known.pk]
    assert set(Identity.objects.values_list("value", "contact_id")) == {("crm-1", known.pk), ("app-9", known.pk)}
    assert list(Event.objects.values_list("contact_id", flat=True).distinct()) == [known.pk]


def test_one_batch_folds_each_contacts_attribution() -> None:
    # given four known contacts, three of them seen before
    ada = Contact.objects.create(
        email="ada@acme.io", first_source="newsletter", first_medium="email", first_campaign="oct",
        first_seen_at=NOW - dt.timedelta(days=30), last_seen_at=NOW - dt.timedelta(days=30), forms_submitted=2,
        first_offer="Old report", last_offer="Old report",
    )  # fmt: skip
    bob = Contact.objects.create(email="bob@acme.io")
    earlier = NOW - dt.timedelta(days=1)
    cy = Contact.objects.create(email="cy@acme.io", first_seen_at=earlier, last_seen_at=NOW - dt.timedelta(minutes=20))
    dee = Contact.objects.create(
        email="dee@acme.io", first_seen_at=earlier, last_seen_at=NOW - dt.timedelta(minutes=12)
    )
    for contact, user in ((ada, "ada"), (bob, "bob"), (cy, "cy"), (dee, "dee")):
        Identity.objects.create(kind="user", value=user, contact=contact)
    form = {"form": "ebook", "offer": "Pricing guide"}
    batch = [
        message("page", 50, userId="ada", name="/", context=campaign("google", "brand")),
        message("track", 40, userId="ada", event="Form Submitted", properties=form),
        message("page", 45, userId="bob", name="/", context=campaign("linkedin", "q4")),
        message("track", 35, userId="bob", event="Form Submitted", properties={"form": "demo", "offer": "Demo"}),
        message("track", 30, userId="bob", event="Form Submitted", properties={"form": "x", "offer": "Webinar"}),
        message("page", 10, userId="cy", name="/"),  # only seen: last seen moves
        message("page", 10, userId="dee", name="/"),  # seen two minutes after last seen: nothing moves
    ]
    # when one batch about all four arrives
    with clock.frozen(NOW):
        record(batch, sent_with="test", received_at=NOW)
    fields = (
        "first_source", "first_campaign", "first_seen_at", "last_source", "last_campaign", "last_touch_at",
        "last_seen_at", "first_offer", "last_offer", "forms_submitted",
    )  # fmt: skip
    # then each contact's attribution is what its own events say, folded into what it had
    assert Contact.objects.values_list(*fields).get(pk=ada.pk) == (
        "newsletter", "oct", NOW - dt.timedelta(days=30), "google", "brand", NOW - dt.timedelta(minutes=50),
        NOW - dt.timedelta(minutes=40), "Old report", "Pricing guide", 3,
    )  # fmt: skip
    assert Contact.objects.values_list(*fields).get(pk=bob.pk) == (
        "linkedin", "q4", NOW - dt.timedelta(minutes=45), "linkedin", "q4", NOW - dt.timedelta(minutes=45),
        NOW - dt.timedelta(minutes=30), "Demo", "Webinar", 2,
    )  # fmt: skip
    assert Contact.objects.values_list("first_source", "first_seen_at", "last_seen_at").get(pk=cy.pk) == (
        "",
        earlier,
        NOW - dt.timedelta(minutes=10),
    )
    assert Contact.objects.values_list("first_source", "first_seen_at", "last_seen_at").get(pk=dee.pk) == (
        "",
        earlier,
        NOW - dt.timedelta(minutes=12),
    )


def test_identify_calls_for_a_known_contact_in_one_batch_each_take_their_traits() -> None:
    # given a known contact without an email
    ada = Contact.objects.create(first_name="Ada", title="Analyst")
    Identity.objects.create(kind="user", value="u-ada", contact=ada)
    # when one batch identifies her twice, the second time with an email and a consent
    batch = [
        message("identify", 30, userId="u-ada", traits={"title": "VP", "phone": "+1 555 0100", "consent": True}),
        message("identify", 20, userId="u-ada", traits={"title": "CMO", "consent": True, "email": "ada@acme.io"}),
    ]
    with clock.frozen(NOW):
        record(batch, sent_with="test", received_at=NOW)
    # then both calls' traits are on her, the later one winning, and the consent given twice is
    # one change
    ada.refresh_from_db()
    assert (ada.title, ada.phone, ada.consent, ada.email) == ("CMO", "+1 555 0100", True, "ada@acme.io")
    assert list(ConsentChange.objects.values_list("contact_id", "consent")) == [(ada.pk, True)]
    assert Contact.objects.count() == 1
