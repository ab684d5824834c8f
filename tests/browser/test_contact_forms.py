"""A person creates a contact from the list, edits its title and gives it to someone else."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Account, Contact
from accord.core.models import AuditEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e => window.__violations.push(e.violatedDirective));
"""


def test_a_contact_is_created_edited_and_reassigned_from_the_pages(
    page: Any, login: Any, acme: Account, users: Any
) -> None:
    page.add_init_script(WATCH)
    login(page, "sales_rep")
    page.goto("/contacts/")
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", name="New contact")).to_be_visible()

    page.get_by_label("Email").fill("grace@")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Job title").fill("Engineer")
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("Account", exact=True).fill("acme")
    page.get_by_label("Acme Corp").check()
    page.get_by_label("Owner").select_option(label="Sales Manager")
    page.get_by_label("Given").check()
    page.get_by_role("button", name="Create contact").click()

    # Refused: the message is next to the email, and everything typed is still there.
    expect(page.locator("#id_email-error")).to_have_text("'grace@' is not a valid email address")
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(page.get_by_label("Acme Corp")).to_be_checked()
    expect(page.get_by_label("Owner")).to_have_value(str(users["sales_manager"].pk))
    assert Contact.objects.count() == 0

    page.get_by_label("Email").fill("grace@acme.com")
    page.get_by_role("button", name="Create contact").click()

    page.wait_for_url(re.compile(r"/contacts/\d+/$"))
    expect(page.locator(".flash--success")).to_have_text("Created Grace Hopper.")
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    contact = Contact.objects.get()
    assert (contact.email, contact.title, contact.country, contact.account_id, contact.owner_id, contact.consent) == (
        "grace@acme.com", "Engineer", "GB", acme.pk, users["sales_manager"].pk, True,
    )  # fmt: skip

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Job title")).to_have_value("Engineer")
    page.get_by_label("Job title").fill("VP Engineering")
    page.get_by_role("button", name="Save changes").click()

    expect(page.locator(".flash--success")).to_have_text("Saved Grace Hopper.")
    expect(page.locator(".page-head .muted")).to_have_text("VP Engineering at Acme Corp")

    page.get_by_label("Owner").select_option(label="Marketing")
    page.get_by_role("button", name="Save owner").click()

    expect(page.locator(".flash--success")).to_have_text("Grace Hopper now belongs to Marketing.")
    expect(page.get_by_label("Owner")).to_have_value(str(users["marketing"].pk))
    contact.refresh_from_db()
    assert (contact.title, contact.owner_id) == ("VP Engineering", users["marketing"].pk)
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(contact.pk)).order_by("pk")] == [
        "contact_create", "contact_update", "contact_update",
    ]  # fmt: skip
    assert page.evaluate("window.__violations") == []
