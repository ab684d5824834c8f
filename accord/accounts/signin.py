"""Sign-in throttling: what django-axes asks Accord (docs/security.md).

Five failed sign-ins lock the account, and apart from it the address they came from (whichever
trips first). A lockout lasts `FIRST_LOCKOUT`, doubled for each lockout of the same account or
address in the last day, up to `LONGEST_LOCKOUT`. Before the lockout each failure makes the next
attempt wait a little longer (`delay_after`). An admin can lift a lockout at once
(`accord.accounts.actions.signin_unlock`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accord.core import audit, clock
from accord.core.models import AuditEntry

FIRST_LOCKOUT = dt.timedelta(minutes=5)
LONGEST_LOCKOUT = dt.timedelta(hours=24)
LOCKED_OUT = "signin_locked_out"  # the audit action of a lockout


def attempted_email(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The account a sign-in is for, as sign-in looks it up: trimmed and lower-case."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    return str(raw or "").strip().lower()[:254]


def client_address(request: HttpRequest) -> str | None:
    """The client's address; ClientAddressMiddleware has looked through trusted proxies already."""
    return request.META.get("REMOTE_ADDR") or None


def _lockouts_today(email: str, ip: str | None) -> int:
    since = clock.now() - dt.timedelta(days=1)
    who = Q(details__email=email) if email else Q(pk__in=[])
    if ip:
        who |= Q(details__ip=ip)
    return AuditEntry.objects.filter(action=LOCKED_OUT, at__gte=since).filter(who).count()


def cool_off(request: HttpRequest) -> dt.timedelta:
    """How long a lockout that starts now lasts: doubled for each earlier one today, capped."""
    earlier = _lockouts_today(attempted_email(request, None), client_address(request))
    return min(FIRST_LOCKOUT * 2 ** min(earlier, 16), LONGEST_LOCKOUT)


def delay_after(failures: int) -> dt.timedelta:
    """How long to wait after `failures` failed sign-ins in a row before the next attempt counts."""
    return dt.timedelta(seconds=0 if failures < 2 else min(2 ** (failures - 2), 30))


def _minutes(delta: dt.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes >= 120:
        return f"{minutes // 60} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _current_lockout(email: str, ip: str | None) -> dt.datetime | None:
    """When the lockout now in force for this account or address ends, if one is."""
    who = Q(details__email=email) | (Q(details__ip=ip) if ip else Q(pk__in=[]))
    row = AuditEntry.objects.filter(action=LOCKED_OUT).filter(who).order_by("-at").first()
    if row is None:
        return None
    until = dt.datetime.fromisoformat(str(row.details.get("until")))
    return until if until > clock.now() else None


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """The answer while an account or address is locked out: the sign-in page, saying for how long.

    The first refused attempt of a lockout writes its audit row (who was locked out, from where,
    until when); attempts during it do not add rows.
    """
    email = attempted_email(request, credentials if isinstance(credentials, dict) else None)
    ip = client_address(request)
    until = _current_lockout(email, ip)
    if until is None:
        until = clock.now() + cool_off(request)
        audit.record(
            action=LOCKED_OUT, object_type="accounts.signin", object_id=email, actor=None,
            details={"email": email, "ip": ip, "until": until.isoformat(), "failures": settings.AXES_FAILURE_LIMIT},
        )  # fmt: skip
    wait = until - clock.now()
    message = (
        f"Too many failed sign-ins for this account or from this address. Try again in {_minutes(wait)}, "
        "or ask an admin to unlock it."
    )
    response = render(request, "web/login.html", {"locked_message": message, "email": email}, status=429)
    response["Retry-After"] = str(max(1, int(wait.total_seconds())))
    return response
