"""What every page needs: the navigation each role sees, with the current section marked."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accord.accounts.domain import Capability, Role

ROLE_LABELS: dict[str, str] = {
    Role.ADMIN: "RevOps admin",
    Role.MARKETING: "Marketing manager",
    Role.SALES_REP: "Sales rep",
    Role.SALES_MANAGER: "Sales manager",
    Role.VIEWER: "Viewer",
}


# The URL prefix that makes each section the current one.
_PREFIXES = {
    "home": None,
    "queue": "/queue/",
    "deals": "/deals/",
    "scoreboard": "/scoreboard/",
    "activity": "/activity/",
    "contacts": "/contacts/",
    "accounts": "/accounts/",
    "playbook": "/playbook/",
    "imports": "/imports/",
    "users": "/admin/users/",
    "calendars": "/admin/calendars/",
    "webhooks": "/admin/webhooks/",
    "audit": "/admin/audit/",
}


def _current(key: str, path: str) -> bool:
    prefix = _PREFIXES.get(key)
    return path in ("/", "/overview/") if prefix is None else path.startswith(prefix)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    # A sales rep's home is their queue (views.overview.home): the overview has its own address for them.
    items = [("home", "Overview", "/overview/" if user.role == Role.SALES_REP else "/")]
    if user.can(Capability.HANDOFF_WORK):  # reps, sales managers and admins
        items.append(("queue", "Queue", "/queue/"))
    if user.can(Capability.DEAL_WRITE) or user.role == Role.VIEWER:  # sales, admins, and executives reading
        items.append(("deals", "Deals", "/deals/"))
    items += [
        ("scoreboard", "Scoreboard", "/scoreboard/"),
        ("activity", "Activity", "/activity/"),
        ("contacts", "Contacts", "/contacts/"),
        ("accounts", "Accounts", "/accounts/"),
        ("playbook", "Playbook", "/playbook/"),
    ]
    if user.can(Capability.CONTACT_IMPORT):  # admins and marketing
        items.append(("imports", "Import", "/imports/"))
    if user.can(Capability.USER_ADMIN):
        items.append(("users", "Users & keys", "/admin/users/"))
        items.append(("calendars", "Calendars", "/admin/calendars/"))
        items.append(("webhooks", "Webhooks", "/admin/webhooks/"))
    if user.can(Capability.AUDIT_READ):
        items.append(("audit", "Audit log", "/admin/audit/"))
    path = request.path
    return {
        "nav": [{"key": k, "label": label, "url": url, "current": _current(k, path)} for k, label, url in items],
        "role_label": ROLE_LABELS.get(user.role, user.role),
    }
