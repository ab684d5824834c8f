"""Every screen works under Accord's strict Content-Security-Policy: no inline scripts, no inline
style sheets, nothing from elsewhere — and nothing on any screen is refused by it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accord.contacts.models import Account, Contact
from accord.demo.actions import demo_load
from accord.playbook.actions import playbook_draft_create
from accord.playbook.queries import active_playbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e =>
    window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def test_no_screen_is_refused_anything_by_the_policy(page: Any, login: Any, users: Any) -> None:
    demo_load(contacts=60, seed=3)
    draft = playbook_draft_create(source=active_playbook().source, note="CSP check", acting_user=users["admin"])
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(WATCH)
    login(page, "admin")
    contact = Contact.objects.exclude(score__scored_at=None).order_by("-score__interest_score").first()
    account = Account.objects.order_by("pk").first()
    screens = [
        ("/", "#funnel-chart .main-svg"),
        ("/activity/", "#minutes-chart .main-svg"),
        ("/contacts/", "table"),
        (f"/contacts/{contact.pk}/", "h1"),
        ("/accounts/", "table"),
        (f"/accounts/{account.pk}/", "h1"),
        ("/playbook/", "h1"),
        ("/playbook/versions/", "h1"),
        (f"/playbook/versions/{draft.number}/backtest/", "#backtest-chart .main-svg"),
        ("/admin/users/", "h1"),
        ("/admin/audit/", "h1"),
        ("/account/security/", "h1"),
        ("/password/", "h1"),
        ("/api/docs", ".swagger-ui .info"),
    ]
    for path, ready in screens:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_timeout(150)
        assert page.evaluate("window.__violations") == [], path
    assert refused == []


def test_the_policy_is_sent_with_every_page(page: Any, live_server: Any, users: Any) -> None:
    response = page.goto(f"{live_server.url}/login/")
    policy = dict(
        part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";") if part.strip()
    )
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
