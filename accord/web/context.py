"""The navigation each role sees."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accord.accounts.domain import Capability


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [
        ("home", "Overview", "/"),
        ("contacts", "Contacts", "/contacts/"),
        ("accounts", "Accounts", "/accounts/"),
        ("playbook", "Playbook", "/playbook/"),
    ]
    if user.can(Capability.USER_ADMIN):
        items.append(("users", "Users & keys", "/admin/users/"))
    return {"nav": [{"key": k, "label": label, "url": url} for k, label, url in items]}
