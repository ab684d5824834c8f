"""Backtesting a draft: from its sign-off screen to the chart and the numbers, then another window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from accord.scoring.tests.test_backtest import build_story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_draft_is_backtested_from_its_sign_off_screen(page: Any, login: Any, users: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    story = build_story(now=now, draft_by=users["marketing"])
    login(page, "sales_manager")
    page.goto("/playbook/versions/2/")

    page.get_by_role("link", name="Backtest this draft").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Backtest of version 2")
    versions = page.locator("#backtest-versions")
    expect(versions).to_be_visible()
    expect(page.locator("[role=status] progress")).to_have_count(0)
    expect(versions.locator("[data-version=draft][data-figure=mqls]")).to_have_text("4")
    expect(versions.locator("[data-version=active][data-figure=mqls]")).to_have_text("4")
    expect(versions.locator("[data-version=draft][data-figure=precision]")).to_have_text("25.0% 1 of 4")
    expect(versions.locator("[data-version=active][data-figure=recall]")).to_have_text("66.7% 2 of 3")
    expect(versions).to_contain_text("not tracked yet")
    groups = page.locator("#backtest-groups")
    expect(groups.locator("tr[data-group=new] td").first).to_have_text("1")
    expect(groups.locator("tr[data-group=dropped] td")).to_have_text(["1", "1", "1", "1"])

    # The chart is drawn by Plotly, with a line per version and the recorded MQLs.
    chart = page.locator("#backtest-chart")
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".legendtext")).to_have_text(["Draft v2", "Active v1", "Recorded MQLs"])
    expect(chart.locator(".barlayer .trace")).to_have_count(2)
    expect(chart.locator(".scatterlayer .trace")).to_have_count(1)

    new = page.locator("#backtest-new")
    expect(new).to_contain_text("bob@big.example")
    new.get_by_role("link", name="Bob Tester").click()
    page.wait_for_url(f"**/contacts/{story['contacts']['Bob'].pk}/")


def test_another_window_replays_again(page: Any, login: Any, users: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    build_story(now=now, draft_by=users["marketing"])
    login(page, "viewer")
    page.goto("/playbook/versions/2/backtest/")
    expect(page.locator("#backtest-versions")).to_be_visible()

    page.get_by_label("From", exact=True).fill((now - dt.timedelta(days=14)).date().isoformat())
    page.get_by_role("button", name="Replay this window").click()

    versions = page.locator("#backtest-versions")
    expect(versions.locator("[data-version=draft][data-figure=mqls]")).to_have_text("2")
    expect(page.locator("#backtest-groups tr[data-group=earlier] td").first).to_have_text("0")
    expect(page.locator("#backtest-chart .legendtext")).to_have_count(3)

    page.get_by_label("To", exact=True).fill((now + dt.timedelta(days=3)).date().isoformat())
    page.get_by_role("button", name="Replay this window").click()
    expect(page.get_by_role("alert")).to_contain_text("To: must not be after today")
    expect(page.locator("#backtest-versions")).to_have_count(0)
