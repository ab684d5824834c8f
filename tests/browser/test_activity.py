"""The activity page keeps itself up to date while it stays open."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Contact
from accord.core import clock
from tests.browser.conftest import make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = "#activity-feed > li.activity__item"


def test_new_events_appear_on_top_without_a_reload(page: Any, login: Any, ada: Contact) -> None:
    now = clock.now()
    for n in range(3):
        make_event(at=now - dt.timedelta(minutes=10 - n), path=f"/blog/post-{n}", title=f"Post {n}")
    login(page, "viewer")
    page.get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", name="Recent activity")).to_be_visible()
    expect(page.locator(ROWS)).to_have_count(3)
    expect(page.locator("#activity-hour-count")).to_have_text("3")
    page.evaluate("window.stillTheSamePage = true")

    make_event(at=clock.now(), path="/pricing", title="Pricing")
    make_event(
        "track", at=clock.now(), contact=ada, path="/resources/guide", name="Form Submitted", offer="Lead scoring guide",
        properties={"form": "content-download", "offer": "Lead scoring guide"},
    )

    expect(page.locator(ROWS)).to_have_count(5, timeout=10_000)
    expect(page.locator(ROWS).nth(0)).to_contain_text("Submitted a form Lead scoring guide")
    expect(page.locator(ROWS).nth(0)).to_contain_text("Ada Lovelace")
    expect(page.locator(ROWS).nth(1)).to_contain_text("Viewed a page Pricing")
    expect(page.locator(ROWS).nth(1)).to_contain_text("Anonymous visitor 0f0e0d0c")
    expect(page.locator(ROWS).nth(2)).to_contain_text("Post 2")
    expect(page.locator("#activity-hour-count")).to_have_text("5")
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_label("Form submissions only").check()
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page).to_have_url(f"{page.base_url}/activity/?forms=1")
    make_event(at=clock.now(), path="/about", title="About")  # not a form: stays out of this list
    make_event(
        "track", at=clock.now(), contact=ada, path="/demo", name="Form Submitted", offer="Demo request",
        properties={"form": "demo-request", "offer": "Demo request"},
    )
    expect(page.locator(ROWS)).to_have_count(2, timeout=10_000)
    expect(page.locator(ROWS).nth(0)).to_contain_text("Submitted a form Demo request")
    page.wait_for_timeout(3500)  # one more poll: nothing new, nothing doubled
    expect(page.locator(ROWS)).to_have_count(2)
