"""A person opens a scored contact and reads its Score panel: the grade, heating up, the sparkline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Contact
from accord.core import clock
from accord.scoring.tests.events import ingest, message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scored(ada: Contact) -> Contact:
    """Ada (fit 75, A) downloaded an offer two weeks ago and asked for a demo an hour ago: her interest
    rose from about 11 to about 60 this week, so she is heating up, and the MQL rule made her an MQL."""
    now = clock.now()
    offer_at, demo_at = now - dt.timedelta(days=14), now - dt.timedelta(hours=1)
    ingest(
        offer_at,
        message(ada, "identify", offer_at, traits={"email": ada.email}),
        message(ada, "track", offer_at, event="Form Submitted", properties={"offer": "Guide"}),
    )
    ingest(demo_at, message(ada, "track", demo_at, event="Demo Requested"))
    ada.refresh_from_db()
    assert (ada.fit_grade, ada.quadrant, ada.stage) == ("A", "ready", "mql")
    return ada


def test_the_score_panel_shows_the_grade_heating_up_and_the_sparkline(page: Any, login: Any, scored: Contact) -> None:
    login(page, "sales_rep")
    page.goto(f"/contacts/{scored.pk}/")

    panel = page.locator("#score")
    expect(panel.get_by_role("heading", name="Score", exact=True)).to_be_visible()
    expect(panel.locator("#score-fit .grade")).to_have_text("A")
    expect(panel.locator("#score-fit")).to_contain_text("75 points")
    expect(panel.locator("#heating-up")).to_be_visible()
    expect(panel.locator("#heating-up")).to_have_text("Heating up")
    expect(panel.locator("td[aria-current='true']")).to_contain_text("Ready")
    expect(panel.locator("#fit-rules li")).to_have_count(6)
    expect(panel.locator("#contributions tbody tr").first).to_contain_text("Asked for a demo")

    chart = panel.locator("#score-trend")
    expect(chart.locator("svg.main-svg").first).to_be_attached()
    expect(chart.locator("path.js-line")).to_have_count(1)
    box = chart.bounding_box()
    assert box is not None and box["width"] > 150 and 50 <= box["height"] <= 80


def test_the_sparkline_is_drawn_again_after_a_stage_change(page: Any, login: Any, scored: Contact) -> None:
    login(page, "sales_rep")
    page.goto(f"/contacts/{scored.pk}/")
    expect(page.locator("#score-trend path.js-line")).to_have_count(1)

    page.get_by_label("Move to").select_option(label="SQL")
    page.get_by_role("button", name="Change stage").click()

    expect(page.locator("#head-stage")).to_have_text("SQL")
    expect(page.locator("#score-trend path.js-line")).to_have_count(1)
    expect(page.locator("#heating-up")).to_be_visible()
