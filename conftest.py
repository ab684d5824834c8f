"""Fixtures shared by every test: users per role, an API client, a browser."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from accord.accounts.domain import Role

# Property tests check rules, not speed: no per-example deadline (a loaded CI machine would trip it).
hypothesis_settings.register_profile("accord", deadline=None)
hypothesis_settings.load_profile("accord")

PASSWORD = "accord-test-password-1"
CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def must_have(what: str) -> None:
    """Skip locally when a service is missing; in CI (CI=true) nothing may be skipped."""
    if in_ci():
        pytest.fail(f"{what} is required in CI but missing")
    pytest.skip(f"{what} is not available here")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """In CI a skipped test is a failure: a missing service or browser must not pass unnoticed."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI: {report.longrepr}"


@pytest.fixture(autouse=True, scope="session")
def _test_settings() -> None:
    """Hash test passwords cheaply (production keeps Django's PBKDF2 default), and serve static
    files from the source tree: the suite runs with production settings otherwise, but without
    a `collectstatic` manifest."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters and other cached values do not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def users(db: Any) -> dict[str, Any]:
    """One active user per role, keyed by role value; every password is PASSWORD."""
    from accord.accounts.models import User

    return {
        role.value: User.objects.create_user(
            f"{role.value}@example.com", PASSWORD, name=role.value.replace("_", " ").title(), role=role
        )
        for role in Role
    }


class ApiClient:
    """JSON calls to /api/v1 with a Bearer key or a logged-in session."""

    def __init__(self, client: Client, key: str | None = None) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}

    def _call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {**self.headers, **extra}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = getattr(self.client, method)(f"/api/v1{path}", **kwargs)
        try:
            response.data = response.json()
        except ValueError:
            response.data = None
        return response

    def get(self, path: str, **extra: Any) -> Any:
        return self._call("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._call("post", path, body if body is not None else {}, **extra)

    def patch(self, path: str, body: Any, **extra: Any) -> Any:
        return self._call("patch", path, body, **extra)

    def put(self, path: str, body: Any, **extra: Any) -> Any:
        return self._call("put", path, body, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self._call("delete", path, **extra)


@pytest.fixture
def api_as(users: dict[str, Any]) -> Any:
    """api_as("sales_rep") -> an ApiClient logged in (session) as that role's user."""

    def make(role: str) -> ApiClient:
        client = Client()
        client.force_login(users[role])
        return ApiClient(client)

    return make


@pytest.fixture
def api_key(users: dict[str, Any]) -> Any:
    """api_key("read,write") -> an ApiClient using a fresh key with those scopes, owned by the admin."""
    from accord.accounts.actions import apikey_create

    def make(scopes: str, owner: str = "admin") -> ApiClient:
        _, secret = apikey_create(name=f"test {scopes}", scopes=scopes, acting_user=users[owner])
        return ApiClient(Client(), secret)

    return make


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        must_have(f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser page; `page.base_url` is the live server's address."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def login(users: dict[str, Any]) -> Any:
    """login(page, "sales_rep"): sign in through the login form."""

    def do(page: Any, role: str) -> None:
        page.goto("/login/")
        page.get_by_label("Email").fill(users[role].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login/" not in url)

    return do


@pytest.fixture(autouse=True)
def _default_playbook(request: Any) -> None:
    """Tests that commit for real (transactional_db, live_server) empty the tables after themselves;
    put back what the migrations install (the default playbook, active) so every such test starts
    from a new workspace."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if not transactional and not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    migration = importlib.import_module("accord.playbook.migrations.0002_default_playbook")
    migration.install(apps, None)
