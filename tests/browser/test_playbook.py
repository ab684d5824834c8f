"""The playbook: a draft is written, signed by marketing then sales, and activated by an admin."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accord.playbook.models import PlaybookVersion, VersionStatus
from tests.browser.conftest import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_playbook_page_shows_the_stages(page: Any, login: Any, users: Any) -> None:
    login(page, "viewer")
    page.get_by_role("link", name="Playbook", exact=True).click()

    expect(page.get_by_role("heading", name="Stages")).to_be_visible()
    stages = page.locator(".stages__item")
    expect(stages).to_have_count(9)
    expect(stages.nth(0)).to_contain_text("Visitor")
    expect(stages.nth(3)).to_contain_text("MQL")
    expect(stages.nth(3)).to_contain_text("handed to Sales")
    expect(page.get_by_role("heading", name="The MQL rule")).to_be_visible()
    expect(page.get_by_role("link", name="New draft")).to_have_count(0)


def test_a_draft_is_signed_by_both_sides_and_activated(page: Any, login: Any, users: Any) -> None:
    login(page, "admin")
    page.goto("/playbook/")
    page.get_by_role("link", name="New draft").click()
    page.get_by_label("What this version changes").fill("Ask for 150 MQLs a month")
    source = page.get_by_label("Playbook (YAML)")
    source.fill(source.input_value().replace("mqls: 120", "mqls: 150"))
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", name="Version 2")).to_contain_text("draft")
    expect(page.locator(".diff")).to_contain_text("+    mqls: 150")
    sign_out(page)

    login(page, "marketing")
    page.goto("/playbook/versions/2/")
    page.get_by_role("button", name="Sign for marketing").click()
    expect(page.locator(".flash--success")).to_have_text("You signed version 2 for marketing.")
    expect(page.locator(".signoff")).to_contain_text("Signed by Marketing")
    expect(page.get_by_role("button", name="Sign for marketing")).to_have_count(0)
    sign_out(page)

    login(page, "sales_manager")
    page.goto("/playbook/versions/2/")
    page.get_by_role("button", name="Sign for sales").click()
    expect(page.locator("#version-status")).to_have_text("signed")
    sign_out(page)

    login(page, "admin")
    page.goto("/playbook/versions/2/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Activate").click()

    page.wait_for_url("**/playbook/")
    expect(page.locator(".flash--success")).to_have_text("Version 2 is now the playbook in force.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("v2 · active")
    expect(page.locator("#sla-h + .grid")).to_contain_text("150 MQLs per month")
    assert PlaybookVersion.objects.get(number=2).status == VersionStatus.ACTIVE
    assert PlaybookVersion.objects.get(number=1).status == VersionStatus.RETIRED


def test_an_invalid_draft_lists_its_errors_and_keeps_the_text(page: Any, login: Any, users: Any) -> None:
    login(page, "marketing")
    page.goto("/playbook/versions/new/")
    source = page.get_by_label("Playbook (YAML)")
    broken = source.input_value().replace("mqls: 120", "mqls: lots")
    source.fill(broken)
    page.get_by_role("button", name="Create draft").click()

    expect(page.get_by_role("alert")).to_contain_text("sla.marketing.mqls: must be a whole number")
    assert page.get_by_label("Playbook (YAML)").input_value() == broken
    assert PlaybookVersion.objects.count() == 1
