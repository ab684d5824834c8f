"""A contact's timeline: events and stage changes together, older ones on demand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle.actions import contact_advance_by_rule
from tests.browser.conftest import make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEMS = "#timeline-items > li.timeline__item"


def test_the_timeline_shows_visits_forms_and_moves_and_loads_older_ones(page: Any, login: Any, ada: Contact) -> None:
    start = clock.now() - dt.timedelta(days=3)
    for n in range(58):
        make_event(at=start + dt.timedelta(minutes=n), contact=ada, path=f"/blog/post-{n}", title=f"Post {n}")
    form_at = start + dt.timedelta(hours=2)
    make_event(
        "track", at=form_at, contact=ada, path="/resources/guide", name="Form Submitted", offer="Lead scoring guide",
        properties={"form": "content-download", "offer": "Lead scoring guide"}, utm_source="google",
        utm_medium="cpc", utm_campaign="spring-search",
    )
    with clock.frozen(form_at + dt.timedelta(seconds=2)):
        contact_advance_by_rule(contact=ada, to_stage="lead", rule="entry:lead")
    Contact.objects.filter(pk=ada.pk).update(
        first_source="google", first_medium="organic", first_seen_at=start, forms_submitted=1,
        first_offer="Lead scoring guide", last_offer="Lead scoring guide",
    )

    login(page, "sales_rep")
    page.goto(f"/contacts/{ada.pk}/")

    items = page.locator(ITEMS)
    expect(items).to_have_count(50)
    expect(items.nth(0)).to_contain_text("Stage change Entered Lead")
    expect(items.nth(0)).to_contain_text("by the entry criteria of Lead")
    expect(items.nth(1)).to_contain_text("Submitted a form Lead scoring guide")
    expect(items.nth(1)).to_contain_text("spring-search")
    expect(items.nth(1)).to_contain_text("google / cpc")
    expect(items.nth(2)).to_contain_text("Viewed a page Post 57")
    expect(page.locator("#attribution")).to_contain_text("First touch")
    expect(page.locator("#attribution")).to_contain_text("1 form submitted")

    page.get_by_role("link", name="Show older").click()
    expect(items).to_have_count(60)
    expect(items.nth(59)).to_contain_text("Viewed a page Post 0")
    expect(page.get_by_role("link", name="Show older")).to_have_count(0)
    assert page.url.endswith(f"/contacts/{ada.pk}/")  # loaded in place, not a new page

    items.nth(0).get_by_text("Entry criteria checked").click()
    expect(items.nth(0)).to_contain_text("contact.forms_submitted ≥ 1")
