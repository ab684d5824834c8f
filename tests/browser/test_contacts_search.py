"""The contact list narrows as a person types, and keeps the search in the address."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Account, Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_narrows_the_list(page: Any, login: Any, acme: Account) -> None:
    for first, last in [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")]:
        Contact.objects.create(email=f"{first.lower()}@acme.com", first_name=first, last_name=last, account=acme)
    login(page, "viewer")
    page.goto("/contacts/")
    expect(page.locator("#results-count")).to_have_text("Showing 1–3 of 3 contacts")

    page.get_by_label("Search").fill("hopp")

    expect(page.locator("#results-count")).to_have_text("Showing 1–1 of 1 contact")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Grace Hopper")
    page.wait_for_url("**/contacts/?q=hopp")

    page.get_by_label("Search").fill("nobody")
    expect(page.locator("#results-count")).to_have_text("No contacts match these filters.")


def test_filters_combine_with_the_search(page: Any, login: Any, acme: Account, users: Any) -> None:
    Contact.objects.create(email="ada@acme.com", first_name="Ada", last_name="Lovelace", owner=users["sales_rep"])
    Contact.objects.create(email="alan@acme.com", first_name="Alan", last_name="Turing")
    login(page, "viewer")
    page.goto("/contacts/")

    page.get_by_label("Unowned only").check()

    expect(page.locator("#results-count")).to_have_text("Showing 1–1 of 1 contact")
    expect(page.locator("#results")).to_contain_text("Alan Turing")
    page.wait_for_url("**unowned=1**")

    page.get_by_label("Unowned only").uncheck()
    page.get_by_label("Owner").select_option(label="Sales Rep")
    expect(page.locator("#results")).to_contain_text("Ada Lovelace")
    expect(page.locator("#results tbody tr")).to_have_count(1)


def test_the_list_fits_a_small_phone(page: Any, login: Any, acme: Account) -> None:
    Contact.objects.create(
        email="a.very.long.address.indeed@acme.com", first_name="Ada", last_name="Lovelace", account=acme,
        title="Director of Revenue Operations and Sales Enablement",
    )
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, "viewer")
    page.goto("/contacts/")

    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("document.querySelector('.table-wrap').scrollWidth") <= 375  # a card, not a wide table
