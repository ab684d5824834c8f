"""The API docs (/api/docs) work with no internet: Swagger UI comes from Accord itself, and runs
under Accord's Content-Security-Policy."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def test_the_api_docs_render_their_operations_with_every_other_host_unreachable(
    page: Any, login: Any, users: Any
) -> None:
    # given: every request to a host other than the live server's fails, as with no internet
    elsewhere: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_local)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, "admin")

    # when
    response = page.goto("/api/docs")

    # then: Swagger UI lists the operations, nothing was asked of another host, nothing failed
    assert response is not None and response.status == 200
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Accord API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 10
    page.wait_for_timeout(200)
    assert elsewhere == []
    assert errors == []
