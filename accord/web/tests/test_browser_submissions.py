"""What a browser key sent shows on the contact's page as a form submission; suspected duplicates
are there to merge or dismiss."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from accord.accounts.actions import apikey_create
from accord.contacts.actions import suspected_duplicate_record
from accord.contacts.models import Contact, SuspectedDuplicate
from accord.core.models import AuditEntry
from accord.tracking.domain import Trust
from accord.tracking.ingest import record

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_a_browser_identify_is_shown_as_submitted_on_a_form(client_as, contact, users):
    key, _ = apikey_create(name="Website", scopes="browser", acting_user=users["admin"])
    traits = {"email": contact.email, "firstName": "Hacked", "title": "Intern", "consent": False}
    record([{"type": "identify", "anonymousId": "a-1", "traits": traits}], sent_with=key.prefix, trust=Trust.BROWSER)
    page = text(client_as("sales_rep").get(f"/contacts/{contact.pk}/"))
    assert "Submitted on a form" in page
    assert "First name: Hacked · Title: Intern · Consent: withdrawn" in page
    contact.refresh_from_db()
    assert (contact.first_name, contact.title) == ("Ada", "VP Marketing")


def test_a_suspected_duplicate_is_shown_and_can_be_dismissed(client_as, contact):
    other = Contact.objects.create(email="ada.l@gmail.com", first_name="A.")
    suspected_duplicate_record(contact_id=other.pk, other_id=contact.pk, reason="a web form gave user id 'u' and the email x")
    client = client_as("marketing")
    page = text(client.get(f"/contacts/{contact.pk}/"))
    assert "Suspected: a web form gave user id 'u' and the email x" in page
    pair = SuspectedDuplicate.objects.get()

    viewer = client_as("viewer").post(f"/contacts/{contact.pk}/duplicates/{pair.pk}/dismiss/")
    assert viewer.status_code == 403
    pair.refresh_from_db()
    assert pair.dismissed_at is None and not AuditEntry.objects.filter(action="suspected_duplicate_dismiss").exists()

    response = client.post(f"/contacts/{contact.pk}/duplicates/{pair.pk}/dismiss/")
    assert response.status_code == 303
    pair.refresh_from_db()
    assert pair.dismissed_at is not None and pair.dismissed_by.role == "marketing"
    assert "Suspected:" not in text(client.get(f"/contacts/{contact.pk}/"))


def test_merging_a_suspected_pair_settles_it_and_carries_the_others(client_as, contact):
    twin = Contact.objects.create(email="ada2@acme.com")
    third = Contact.objects.create(email="ada3@acme.com")
    suspected_duplicate_record(contact_id=contact.pk, other_id=twin.pk, reason="one")
    suspected_duplicate_record(contact_id=twin.pk, other_id=third.pk, reason="two")
    response = client_as("marketing").post(f"/contacts/{contact.pk}/merge/", {"drop": twin.pk})
    assert response.status_code == 303
    [(low, high, reason)] = SuspectedDuplicate.objects.values_list("contact_id", "other_id", "reason")
    assert (low, high, reason) == (contact.pk, third.pk, "two")
