"""Trust screens in a real browser: two-factor sign-in set up and used, a lockout's message, the audit
log, a person found, downloaded and erased, a suspected duplicate dismissed, a browser key made."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accord.accounts import signin
from accord.accounts.models import ApiKey
from accord.contacts.actions import contact_update, suspected_duplicate_record
from accord.contacts.models import Contact, SuspectedDuplicate
from accord.core.models import AuditEntry
from conftest import PASSWORD
from tests.browser.conftest import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_an_admin_sets_up_two_factor_sign_in_and_signs_in_with_a_code(page: Any, login: Any, users: Any) -> None:
    login(page, "admin")
    page.get_by_role("link", name="Security").click()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.locator("#totp-secret")).not_to_be_empty()
    device = TOTPDevice.objects.get(user=users["admin"], confirmed=False)
    page.get_by_label("Code from the app").fill(_code(device))
    page.get_by_role("button", name="Turn two-factor sign-in on").click()
    expect(page.locator(".flash--success")).to_contain_text("Two-factor sign-in is on")

    sign_out(page)
    device.refresh_from_db()
    device.last_t = -1  # the set-up used this period's code; a new period would allow the next
    device.save()
    page.get_by_label("Email").fill(users["admin"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your sign-in code")).to_be_visible()
    page.get_by_label("Code").fill(_code(device))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert AuditEntry.objects.filter(action="signin", details__two_factor=True).count() == 1


def test_five_wrong_passwords_show_the_lockout_and_an_admin_lifts_it(
    page: Any, browser: Any, live_server: Any, login: Any, users: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(signin, "delay_after", lambda failures: dt.timedelta(0))  # the lockout, not the delays
    # The guesser comes from an address of its own (through the proxy the suite trusts, loopback).
    page.set_extra_http_headers({"X-Forwarded-For": "198.51.100.66"})
    page.goto("/login/")
    for _ in range(5):
        page.get_by_label("Email").fill(users["viewer"].email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-locked")).to_contain_text("Too many failed sign-ins")

    admin = browser.new_context(base_url=live_server.url).new_page()
    login(admin, "admin")
    admin.get_by_role("link", name="Users & keys").click()
    expect(admin.locator("#lockouts")).to_contain_text(users["viewer"].email)
    admin.get_by_role("button", name=f"Unlock {users['viewer'].email}").click()
    expect(admin.locator(".flash--success")).to_contain_text("Unlocked sign-ins")
    login(page, "viewer")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_audit_log_shows_a_change_and_filters_it(page: Any, login: Any, users: Any, ada: Contact) -> None:
    contact_update(contact=ada, data={"title": "CMO"}, acting_user=users["marketing"])
    login(page, "admin")
    page.get_by_role("link", name="Audit log").click()
    row = page.locator("#audit tbody tr").filter(has_text="contact_update")
    expect(row).to_contain_text("marketing@example.com")
    expect(row.locator("del")).to_have_text("VP Marketing")
    expect(row.locator("ins")).to_have_text("CMO")
    page.get_by_label("What").select_option("contact_update")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#entries-h")).to_have_text("1 entry")
    assert "action=contact_update" in page.locator("#audit-csv").get_attribute("href")


def test_an_admin_downloads_then_erases_a_person(page: Any, login: Any, ada: Contact) -> None:
    login(page, "admin")
    page.goto(f"/contacts/{ada.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as JSON").click()
    data = json.loads(download.value.path().read_text())
    assert data["contact"]["email"] == "ada@acme.com"

    page.get_by_label("Erase on request: why").fill("request by email, 2 Dec 2026")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Erase this person").click()
    expect(page.locator("#erased")).to_contain_text("request by email, 2 Dec 2026")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Erased contact {ada.pk}")
    assert "Lovelace" not in page.content()
    ada.refresh_from_db()
    assert ada.erased_at is not None and ada.email is None


def test_a_suspected_duplicate_is_dismissed(page: Any, login: Any, ada: Contact) -> None:
    other = Contact.objects.create(email="ada.l@gmail.com", first_name="A.", last_name="L.")
    suspected_duplicate_record(contact_id=ada.pk, other_id=other.pk, reason="an alias from a browser tied 'a' to 'b'")
    login(page, "marketing")
    page.goto(f"/contacts/{ada.pk}/")
    card = page.locator("#dupes-h").locator("..")
    expect(card).to_contain_text("Suspected: an alias from a browser")
    card.get_by_role("button", name="Not the same person").click()
    expect(page.locator(".flash--success")).to_contain_text("they are two people")
    assert SuspectedDuplicate.objects.get().dismissed_at is not None


def test_an_admin_makes_a_browser_key_for_a_site(page: Any, login: Any, users: Any) -> None:
    login(page, "admin")
    page.get_by_role("link", name="Users & keys").click()
    page.get_by_label("Key name").fill("Website")
    page.locator("input[name=scopes][value=browser]").check()
    page.get_by_label("Allowed origins").fill("https://www.acme.test\nhttps://*.acme.test")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key-secret")).to_be_visible()
    expect(page.locator("#keys")).to_contain_text("from https://www.acme.test, https://*.acme.test")
    key = ApiKey.objects.get()
    assert (key.scopes, key.allowed_origins) == (["browser"], ["https://www.acme.test", "https://*.acme.test"])
