"""The SLA in a browser: a rep's queue counts the first touch down in business time, a manager reads
the scoreboard's charts for another period, an admin edits a team calendar (a refused line first),
subscribes a webhook, and everyone clears their notifications and chooses how they hear of each."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accord.accounts.models import Team
from accord.notify.domain import EVENTS
from accord.notify.models import Preference, Subscription
from accord.sla.models import CalendarVersion
from accord.web.tests.handoffs import qualified, sales_teams
from tests.browser.conftest import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def routed(users: dict[str, Any]) -> Any:
    sales_teams(users)
    Team.objects.update(hours=ALWAYS)  # open around the clock: the countdown runs whenever the test does
    return qualified(users, email="ada@acme.io", first_name="Ada", last_name="Example")


def test_the_queue_counts_the_first_touch_down_and_the_notification_is_read(page: Any, login: Any, routed: Any) -> None:
    login(page, "sales_rep")
    page.wait_for_url("**/queue/")
    chip = page.locator(f"#handoff-{routed.pk} [data-sla-kind=first_touch]")
    expect(chip).to_contain_text("First touch")
    expect(chip).to_contain_text(" s left")  # under an hour: minutes and seconds
    before = chip.locator("[data-countdown-text]").inner_text()
    page.wait_for_timeout(2200)
    assert chip.locator("[data-countdown-text]").inner_text() != before  # it ticks
    expect(page.locator("#unread-badge")).to_have_text("1")
    page.locator("#notifications-link").click()
    page.wait_for_url("**/notifications/")
    expect(page.locator("#notifications li").first).to_contain_text("New hand-off: Ada Example")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Marked 1 notification read.")
    expect(page.locator("#unread-badge")).to_have_text("")
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url("**/notifications/settings/")
    page.get_by_label("Daily digest: A hand-off is assigned to me").check()
    page.get_by_label("Off: A deal was lost").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Saved how you hear of each event.")
    expect(page.get_by_label("Daily digest: A hand-off is assigned to me")).to_be_checked()
    assert dict(Preference.objects.values_list("event", "email")) == {
        "handoff.assigned": "digest",
        "deal.lost": "off",
        **{e: "instant" for e in EVENTS if e not in ("handoff.assigned", "deal.lost")},
    }
    page.goto(f"/contacts/{routed.contact_id}/")
    expect(page.locator("#sla [data-sla-kind]")).to_have_count(3)


def test_a_manager_reads_the_scoreboard_for_another_period(page: Any, login: Any, routed: Any) -> None:
    login(page, "sales_manager")
    page.goto("/scoreboard/")
    expect(page.locator("h1")).to_contain_text("Week of")
    expect(page.locator("#delivery-chart .main-svg").first).to_be_visible()
    page.locator("#sb-period").select_option("quarter")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("h1")).to_have_text(f"Q{(routed.created_at.month - 1) // 3 + 1} {routed.created_at.year}")
    expect(page.locator("#mk-delivered")).to_contain_text("1 of")
    expect(page.locator("#scoreboard-reps tbody").first).to_contain_text("1")
    page.get_by_role("link", name="← Previous").click()
    expect(page.locator("#mk-delivered")).to_contain_text("0 of")
    page.goto("/queue/team/")
    expect(page.locator("#at-risk, #team-handoffs").first).to_be_visible()


def test_an_admin_edits_a_calendar_and_subscribes_a_webhook(page: Any, login: Any, routed: Any) -> None:
    team = routed.team
    login(page, "admin")
    page.goto("/admin/calendars/")
    page.get_by_role("link", name=team.name).click()
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Monday").fill("09:00-12:00, 13:00-17:00")
    page.get_by_label("Holidays").fill("2026-12-24 Christmas Eve\n02-30 Never")
    page.get_by_role("button", name="Save a new version").click()
    expect(page.locator(".field--error .field__error")).to_contain_text("Line 2: '02-30' is not a day of any year")
    assert CalendarVersion.objects.filter(team=team).count() == 1
    page.get_by_label("Holidays").fill("2026-12-24 Christmas Eve\n12-25 Christmas")
    page.get_by_role("button", name="Save a new version").click()
    expect(page.locator("#calendar-versions li").first).to_contain_text("v2")
    assert CalendarVersion.objects.get(team=team, number=2).document["time_zone"] == "Europe/Berlin"

    page.goto("/admin/webhooks/")
    page.get_by_label("Name").fill("CRM")
    page.get_by_label("URL").fill("https://crm.example.com/hooks/accord")
    page.get_by_label("deal.won").check()
    page.get_by_role("button", name="Subscribe").click()
    secret = Subscription.objects.get().secret
    expect(page.locator("#webhook-secret")).to_contain_text(secret)
    expect(page.locator("#delivery-log")).to_contain_text("Nothing delivered yet.")
    page.reload()
    expect(page.locator("#webhook-secret")).to_have_count(0)
    sign_out(page)
