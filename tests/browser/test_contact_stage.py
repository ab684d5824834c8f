"""A person opens a contact and moves it to another stage through the form."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Contact
from accord.lifecycle.actions import contact_change_stage
from accord.lifecycle.models import StageChange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


STAGE_CHANGES = "#timeline-items > li.timeline__item--stage"


def test_changing_a_stage_adds_a_row_to_the_timeline(page: Any, login: Any, ada: Contact) -> None:
    login(page, "marketing")
    page.goto("/contacts/")
    page.get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.locator("#timeline-items")).to_have_text(
        "Nothing has happened yet: no visits, forms, emails or stage changes."
    )

    page.get_by_label("Move to").select_option(label="Lead")
    expect(page.locator("#move-fields")).to_contain_text("Entry criteria, checked on save")
    page.get_by_label("Note").fill("Downloaded the pricing guide")
    page.get_by_role("button", name="Change stage").click()

    history = page.locator(STAGE_CHANGES)
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Lead")
    expect(history.first).to_contain_text("by Marketing")
    expect(history.first).to_contain_text("Downloaded the pricing guide")
    expect(page.locator(".flash--success")).to_have_text("Ada Lovelace moved to Lead.")
    expect(page.locator("#head-stage")).to_have_text("Lead")
    assert StageChange.objects.filter(contact=ada, to_stage="lead").count() == 1


def test_a_hand_back_asks_for_the_reason_of_the_chosen_stage(page: Any, login: Any, ada: Contact, users: Any) -> None:
    contact_change_stage(contact=ada, to_stage="sql", acting_user=users["sales_rep"])
    login(page, "sales_rep")
    page.goto(f"/contacts/{ada.pk}/")

    page.get_by_label("Move to").select_option(label="Recycled")
    reason = page.get_by_label("Reason")
    expect(reason).to_be_visible()
    expect(reason.locator("option")).to_have_text(
        ["Choose a reason…", "Interested but not ready to buy", "No response after all attempts",
         "Buying later (next quarter or year)", "Other (needs a note)"]
    )
    expect(page.get_by_label("Re-engage on")).to_be_visible()
    reason.select_option(label="Other (needs a note)")
    page.get_by_role("button", name="Change stage").click()

    expect(page.get_by_role("alert")).to_have_text("The reason 'Other' needs a note")
    assert StageChange.objects.filter(contact=ada).count() == 1

    page.get_by_label("Note").fill("Moving to a new role next month")
    page.get_by_role("button", name="Change stage").click()

    expect(page.locator(STAGE_CHANGES).first).to_contain_text("Recycled")
    expect(page.locator(STAGE_CHANGES).first).to_contain_text("Moving to a new role next month")
    assert StageChange.objects.filter(contact=ada).count() == 2


def test_an_illegal_move_shows_why_next_to_the_form(page: Any, login: Any, ada: Contact, users: Any) -> None:
    contact_change_stage(contact=ada, to_stage="lead", acting_user=users["marketing"])
    login(page, "marketing")
    page.goto(f"/contacts/{ada.pk}/")

    page.get_by_label("Move to").select_option(label="MQL")
    page.get_by_role("button", name="Change stage").click()

    expect(page.get_by_role("alert")).to_contain_text("does not meet the entry criteria of MQL")
    expect(page.locator(STAGE_CHANGES)).to_have_count(1)
    assert StageChange.objects.filter(contact=ada).count() == 1


def test_a_viewer_sees_no_stage_form(page: Any, login: Any, ada: Contact) -> None:
    login(page, "viewer")
    page.goto(f"/contacts/{ada.pk}/")

    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.get_by_label("Move to")).to_have_count(0)
    expect(page.get_by_role("button", name="Change stage")).to_have_count(0)
