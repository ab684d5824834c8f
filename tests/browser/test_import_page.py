"""Importing a HubSpot export from the browser: upload, the dry run, one column mapped otherwise,
the import in the background followed to its outcome."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Contact
from accord.imports import background
from accord.imports.models import ImportRun
from tests.browser.test_csp import WATCH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

EXPORT = (
    "Record ID,First Name,Email,Company Name,Website URL,Country/Region,Original Traffic Source,Lifecycle Stage,"
    "Became a Lead Date\n"
    "5101,Ana,ana@acme.io,Acme,acme.io,Germany,Organic Search,Lead,2025-01-10\n"
    "5102,Ben,ben@globex.com,Globex,globex.com,United States,Paid Search,Marketing Qualified Lead,2025-02-01\n"
    "5103,Chloé,chloe@initech.fr,Initech,not a website!,France,Direct Traffic,Lead,2025-03-01\n"
    "5104,Dev,dev@acme.io,Acme,acme.io,India,Referrals,Subscriber,\n"
    "5105,Eun,eun@hooli.kr,Hooli,hooli.kr,South Korea,Organic Social,Lead,2025-03-20\n"
)


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> Iterator[list[threading.Thread]]:
    """The real background threads, kept so the test waits for them before the tables are emptied."""
    settings.DATA_DIR = tmp_path
    started: list[threading.Thread] = []
    real = background.in_thread

    def keep(**kwargs: Any) -> threading.Thread:
        thread = real(**kwargs)
        started.append(thread)
        return thread

    monkeypatch.setattr(background, "in_thread", keep)
    yield started
    for thread in started:
        thread.join(timeout=30)


def test_a_hubspot_export_is_imported_from_the_browser(page: Any, login: Any, threads: list[threading.Thread]) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.add_init_script(WATCH)  # the pages and their swaps break no rule of the content security policy
    login(page, "marketing")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import")

    # upload the export, the format left to be detected
    page.get_by_label("CSV file").set_input_files(
        {"name": "hubspot-contacts.csv", "mimeType": "text/csv", "buffer": EXPORT.encode()}
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/imports/uploads/*/")

    expect(page.get_by_role("heading", level=1)).to_have_text("hubspot-contacts.csv")
    expect(page.locator("#import-detected")).to_contain_text("Detected the HubSpot format from its columns Record ID")
    expect(page.locator("#import-counts")).to_have_text(
        "5 data rows. Of the first 5, 0 would be skipped and 1 imported without a field."
    )
    expect(page.locator("#import-problems")).to_have_text(
        "line 4: Website URL: 'not a website!' is not a valid domain (imported without it)"
    )
    source = page.get_by_label("Where “Original Traffic Source” goes")
    expect(source).to_have_value("first_source")

    # keep HubSpot's traffic source as a custom property instead: the dry run is read again
    source.select_option("properties.original_traffic_source")
    row = page.locator("tr[data-column='Original Traffic Source']")
    expect(row).to_contain_text("Mapped by you")
    expect(row).to_contain_text("a custom property holding text values")
    expect(page.locator("#import-properties")).to_have_text("original_traffic_source text")
    expect(page.get_by_label("Where “Original Traffic Source” goes")).to_have_value(
        "properties.original_traffic_source"
    )
    if os.environ.get("ACCORD_SCREENSHOTS"):  # ACCORD_SCREENSHOTS=1: docs/screenshots/import.png again
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "import.png"), full_page=True)

    assert page.evaluate("window.__violations") == []

    # import: the run's page follows it to the end
    page.get_by_role("button", name="Import 5 rows").click()
    page.wait_for_url("**/imports/runs/*/")
    expect(page.locator("#import-progress")).to_contain_text("Finished: 5 of 5 rows (100%)", timeout=30_000)
    expect(page.locator("#import-progress-bar")).to_have_attribute("value", "100")
    outcome = page.locator("#import-outcome")
    expect(outcome.locator("[data-count=created] dd")).to_have_text("5")
    expect(outcome.locator("[data-count=updated] dd")).to_have_text("0")
    expect(outcome.locator("[data-count=unchanged] dd")).to_have_text("0")
    expect(outcome.locator("[data-count=skipped] dd")).to_have_text("0")
    expect(outcome.locator("[data-count=history] dd")).to_have_text("6")
    summary = page.locator("#import-summary tbody tr")
    expect(summary).to_have_count(1)
    expect(summary.locator("td")).to_have_text(
        [
            "Website URL",
            "is not a valid domain",
            "imported without it",
            "1",
            "line 4: Website URL: 'not a website!' is not a valid domain (imported without it)",
        ]
    )
    expect(page.get_by_role("link", name="Download the problems as CSV")).to_be_visible()

    run = ImportRun.objects.get()
    assert (run.status, run.created, run.skipped, run.format) == ("finished", 5, 0, "hubspot")
    assert Contact.objects.get(email="ben@globex.com").properties["original_traffic_source"] == "Paid Search"

    assert page.evaluate("window.__violations") == []

    # the Import page lists it
    page.get_by_role("link", name="All imports").click()
    expect(page.locator(f"#import-runs tr[data-run='{run.pk}']")).to_contain_text("hubspot-contacts.csv")
    assert page.evaluate("window.__violations") == []
