"""A rep works their queue (accept, reject, recycle, a deal opened and won) and a manager reassigns a
hand-off, each row answering in place."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from accord.core import clock
from accord.deals.models import Deal
from accord.lifecycle.models import Handoff
from accord.web.tests.handoffs import qualified, sales_teams
from tests.browser.conftest import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_works_the_queue_and_a_manager_reassigns(page: Any, login: Any, users: dict[str, Any]) -> None:
    teams = sales_teams(users)
    ada, bo, cy, di, ed = (
        qualified(users, email=f"{name.lower()}@acme.io", first_name=name, last_name="Example")
        for name in ("Ada", "Bo", "Cy", "Di", "Ed")
    )

    login(page, "sales_rep")
    page.wait_for_url("**/queue/")
    expect(page.locator("#queue-mine > li")).to_have_count(5)

    # Accept: the row stays, now accepted.
    row = page.locator(f"#handoff-{ada.pk}")
    row.get_by_role("button", name="Accept").click()
    expect(row).to_contain_text("Accepted Ada Example.")
    expect(row.locator(".tag--warn")).to_have_text("Accepted")

    # Reject: "Other" needs a note, said next to it; then with a reason that does not.
    row = page.locator(f"#handoff-{bo.pk}")
    row.locator("summary", has_text="Reject").click()
    page.locator(f"#reject-reason-{bo.pk}").select_option(label="Other (needs a note)")
    row.locator("button[type=submit]", has_text="Reject hand-off").click()
    expect(page.locator(f"#reject-note-{bo.pk}-error")).to_have_text("The reason 'Other' needs a note")
    page.locator(f"#reject-reason-{bo.pk}").select_option(label="No budget")
    row.locator("button[type=submit]", has_text="Reject hand-off").click()
    expect(row).to_have_text("Rejected Bo Example: No budget.")

    # Recycle, with the date marketing may look again.
    later = clock.now().date() + dt.timedelta(days=90)
    row = page.locator(f"#handoff-{cy.pk}")
    row.locator("summary", has_text="Recycle").click()
    page.locator(f"#recycle-reason-{cy.pk}").select_option(label="Buying later (next quarter or year)")
    page.locator(f"#recycle-reengage-{cy.pk}").fill(later.isoformat())
    row.locator("button[type=submit]", has_text="Recycle hand-off").click()
    expect(row).to_contain_text(f"Recycled Cy Example: marketing may look again on {later.day} {later:%b %Y}.")

    # A deal from the row, then won on its page.
    row = page.locator(f"#handoff-{di.pk}")
    row.locator("summary", has_text="Create deal").click()
    page.locator(f"#deal-name-{di.pk}").fill("Di rollout")
    page.locator(f"#deal-amount-{di.pk}").fill("-10")
    page.locator(f"#deal-currency-{di.pk}").select_option("EUR")
    row.locator("button[type=submit]", has_text="Create deal").click()
    expect(page.locator(f"#deal-amount-{di.pk}-error")).to_have_text("Must not be negative")
    page.locator(f"#deal-amount-{di.pk}").fill("48,000")
    row.locator("button[type=submit]", has_text="Create deal").click()
    expect(row).to_contain_text("Created the deal Di rollout.")
    row.get_by_role("link", name="Open the deal").click()
    expect(page.get_by_role("heading", name="Di rollout")).to_be_visible()
    expect(page.locator("#deal-amount")).to_have_text("EUR 48,000.00")
    page.get_by_role("button", name="Win").click()
    expect(page.locator("#deal-stage")).to_have_text("Won")
    assert Deal.objects.get().stage == "won"

    page.goto("/queue/")
    expect(page.locator("#queue-mine > li")).to_have_count(1)  # only Ed's is still open
    sign_out(page)

    login(page, "sales_manager")
    page.goto("/queue/team/")
    row = page.locator(f"#handoff-{ed.pk}")
    row.get_by_label("Reassign to").select_option(label="Grace Hopper")
    row.get_by_label("Reason").fill("Grace covers this account")
    row.get_by_role("button", name="Reassign").click()
    expect(row).to_contain_text("Reassigned to Grace Hopper.")
    expect(row.locator(".queue-item__owner")).to_have_text("Grace Hopper")
    assert Handoff.objects.get(pk=ed.pk).owner == teams["rep2"]
