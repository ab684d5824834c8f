"""Sign-in throttling: what django-axes asks Accord (docs/security.md).

Five failed sign-ins lock the account, and apart from it the address they came from (whichever
trips first). A lockout lasts `FIRST_LOCKOUT`, doubled for each lockout of the same account or
address in the last day, up to `LONGEST_LOCKOUT`. Before the lockout each failure makes the next
attempt wait a little longer (`delay_after`). An admin can lift a lockout at once
(`accord.accounts.actions.signin_unlock`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accord.core import audit, clock
from accord.core.models import AuditEntry

FIRST_LOCKOUT = dt.timedelta(minutes=5)
LONGEST_LOCKOUT = dt.timedelta(hours=24)
LOCKED_OUT = "signin_locked_out"  # the audit action of a lockout
UNLOCKED = "signin_unlocked"  # accord.accounts.actions.UNLOCKED


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


def wait_before_next(email: str) -> int:
    """Seconds the next sign-in attempt for `email` must wait (`delay_after` its failures so far)."""
    rows = list(AccessAttempt.objects.filter(username=email).values_list("failures_since_start", "attempt_time"))
    if not rows or not email:
        return 0
    failures = sum(count for count, _ in rows)
    latest = max(at for _, at in rows)
    left = (latest + delay_after(failures) - clock.now()).total_seconds()
    return max(0, math.ceil(left))


def _minutes(delta: dt.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes >= 120:
        return f"{minutes // 60} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _current_lockout(email: str, ip: str | None) -> dt.datetime | None:
    """When the lockout now in force for this account or address ends, if one is (an admin's
    unlock ends it at once)."""
    who = Q(details__email=email) | (Q(details__ip=ip) if ip else Q(pk__in=[]))
    row = AuditEntry.objects.filter(action__in=[LOCKED_OUT, UNLOCKED]).filter(who).order_by("-at", "-id").first()
    if row is None or row.action == UNLOCKED:
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


@dataclass(frozen=True)
class Lockout:
    """An account or an address whose sign-ins are refused until `until`."""

    email: str
    ip: str
    failures: int
    until: dt.datetime


def lockouts() -> list[Lockout]:
    """Accounts and addresses locked out now (failures at the limit, not yet expired), newest first."""
    now = clock.now()
    rows = AccessAttempt.objects.filter(expiration__expires_at__gt=now).select_related("expiration")
    by_email: dict[str, list[Any]] = {}
    by_ip: dict[str, list[Any]] = {}
    for row in rows:
        by_email.setdefault(row.username or "", []).append(row)
        by_ip.setdefault(row.ip_address or "", []).append(row)
    found: dict[tuple[str, str], Lockout] = {}
    limit = settings.AXES_FAILURE_LIMIT
    for key, group, is_email in [
        *((k, g, True) for k, g in by_email.items()),
        *((k, g, False) for k, g in by_ip.items()),
    ]:
        failures = sum(r.failures_since_start for r in group)
        if key and failures >= limit:
            until = max(r.expiration.expires_at for r in group)
            ident = (key, "") if is_email else ("", key)
            found[ident] = Lockout(email=ident[0], ip=ident[1], failures=failures, until=until)
    return sorted(found.values(), key=lambda lock: lock.until, reverse=True)
