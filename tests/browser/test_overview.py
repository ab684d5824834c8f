"""The overview draws its charts in the browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Contact
from accord.lifecycle.actions import contact_change_stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_overview_renders_the_funnel_chart(page: Any, login: Any, users: Any) -> None:
    for n in range(3):
        contact = Contact.objects.create(email=f"p{n}@example.org", first_name=f"Person{n}", forms_submitted=1)
        contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])

    login(page, "viewer")

    expect(page.get_by_role("heading", name="The funnel today")).to_be_visible()
    expect(page.locator("#funnel-chart.js-plotly-plot")).to_be_visible()
    expect(page.locator("#funnel-chart .plotly")).to_have_count(1)
    expect(page.locator("#weekly-chart.js-plotly-plot")).to_be_visible()
    expect(page.locator("#funnel-chart")).to_contain_text("Lead")
    page.get_by_role("link", name="Person2").first.click()
    expect(page.get_by_role("heading", name="Person2")).to_be_visible()


def test_the_header_works_on_a_small_phone(page: Any, login: Any, users: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, "marketing")

    expect(page.get_by_role("link", name="Accord")).to_be_visible()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator(".usermenu__role")).to_have_text("Marketing manager")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
