"""An admin creates an API key and sees its secret exactly once, even when reloading the page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accord.accounts.models import ApiKey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_a_key_and_sees_it_once(page: Any, login: Any, users: Any) -> None:
    login(page, "admin")
    page.get_by_role("link", name="Users & keys").click()
    page.get_by_label("Key name").fill("Website snippet")
    page.locator("input[name=scopes][value=server]").check()
    page.get_by_role("button", name="Create key").click()

    secret = page.locator("#new-key-secret")
    expect(secret).to_be_visible()
    value = secret.inner_text()
    key = ApiKey.objects.get()
    assert value.startswith(f"acc_{key.prefix}_") and key.scopes == ["server"]
    expect(page.locator("#keys")).to_contain_text("Website snippet")

    assert page.url.endswith("/admin/users/#new-key")  # the POST was answered with a redirect

    page.reload()  # a reload asks for the page again, and creates no second key
    expect(page.locator("#keys")).to_contain_text("Website snippet")
    expect(page.locator("#new-key-secret")).to_have_count(0)
    assert value not in page.content()
    assert ApiKey.objects.count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Website snippet").click()
    expect(page.locator(".flash--success")).to_contain_text("Revoked the key Website snippet")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_an_admin_adds_a_user(page: Any, login: Any, users: Any) -> None:
    login(page, "admin")
    page.goto("/admin/users/")
    page.get_by_label("Email address").fill("new.rep@example.com")
    page.get_by_label("Name", exact=True).fill("New Rep")
    page.get_by_label("Role", exact=True).select_option(label="Sales rep")
    page.get_by_role("button", name="Add user").click()

    expect(page.locator(".flash--success")).to_have_text("Created new.rep@example.com as Sales rep.")
    expect(page.locator("#users")).to_contain_text("new.rep@example.com")


def test_other_roles_are_refused(page: Any, login: Any, users: Any) -> None:
    login(page, "sales_manager")
    expect(page.get_by_role("link", name="Users & keys")).to_have_count(0)

    response = page.goto("/admin/users/")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
