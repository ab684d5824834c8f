"""The SLA screens: my notifications, the scoreboard, team calendars and webhook subscriptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.accounts.domain import DAYS, Capability
from accord.accounts.models import Team
from accord.core import clock
from accord.core.errors import AccordError
from accord.notify import preferences, subscriptions
from accord.notify import queries as notify_queries
from accord.notify.domain import EVENTS
from accord.notify.models import Delivery, Subscription
from accord.playbook.queries import active_playbook
from accord.reporting.domain import PeriodKind, period_of
from accord.reporting.scoreboard import scoreboard
from accord.sla import calendars
from accord.sla.queries import calendar_versions
from accord.web.presenters import scoreboard as present
from accord.web.views.base import acting, capability_required, see_other

DAY_LABELS = dict(
    zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)


# --------------------------------------------------------------------------- notifications


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    user = acting(request)
    listed = list(notify_queries.inbox(user)[:100])
    return render(request, "web/sla/notifications.html", {"items": listed, "unread": notify_queries.unread_count(user)})


@require_GET
def notifications_badge(request: HttpRequest) -> HttpResponse:
    """The unread count beside "Notifications" (htmx polls it)."""
    return render(request, "web/sla/_badge.html", {"unread": notify_queries.unread_count(acting(request))})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = notify_queries.mark_read(acting(request))
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return see_other("notifications")


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """How I hear of each event by email: at once, in the daily digest, or not at all."""
    user = acting(request)
    if request.method == "POST":
        chosen = {event: request.POST[event] for event in EVENTS if event in request.POST}
        try:
            preferences.preferences_set(choices=chosen, acting_user=user)
        except AccordError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Saved how you hear of each event.")
            return see_other("notification_settings")
    context = {
        "choices": preferences.preferences_of(user),
        "modes": [("instant", "At once"), ("digest", "Daily digest"), ("off", "Off")],
        "digest_hour": settings.ACCORD_DIGEST_HOUR,
    }
    return render(request, "web/sla/notification_settings.html", context)


# --------------------------------------------------------------------------- the scoreboard


@require_GET
def scoreboard_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("period", "week")
    if kind not in PeriodKind.__members__.values():
        kind = "week"
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")[:10])
    except ValueError:
        day = clock.now().date()
    period = period_of(kind, day)
    playbook = active_playbook().playbook
    board = scoreboard(period, playbook=playbook)
    terms = playbook.sla.marketing
    m = board.marketing
    context = {
        "board": board,
        "period": period,
        "kinds": [k.value for k in PeriodKind],
        "reps": [present.row(r) for r in board.reps],
        "teams": [present.row(t) for t in board.teams],
        "total": present.row(board.total),
        "marketing": m,
        "delivery": present.percent(m.delivery),
        "acceptance": present.percent(m.acceptance),
        "acceptance_target": present.percent(m.acceptance_target),
        "delivery_chart": present.delivery_chart(board, per=terms.period, amount=terms.mqls),
        "attainment_chart": present.attainment_chart(board.reps),
        "response_chart": present.response_chart(board.reps),
        "reasons_chart": present.reasons_chart(m.reasons),
    }
    return render(request, "web/sla/scoreboard.html", context)


# --------------------------------------------------------------------------- calendars


@require_GET
@capability_required(Capability.USER_ADMIN)
def calendars_page(request: HttpRequest) -> HttpResponse:
    teams = list(Team.objects.order_by("name"))
    current = calendars.in_force([t.pk for t in teams])
    rows = [{"team": t, "version": current.get(t.pk)} for t in teams]
    return render(request, "web/sla/calendars.html", {"rows": rows})


def _form_values(version: Any) -> dict[str, Any]:
    document = version.document if version else {}
    hours = document.get("hours", {})
    holidays = []
    for item in document.get("holidays", []):
        holidays.append(f"{item['date']} {item.get('label', '')}".strip() if isinstance(item, dict) else str(item))
    closures = [
        f"{c['from']} → {c['to']}" + (f" {c['label']}" if c.get("label") else "") for c in document.get("closures", [])
    ]
    return {
        "time_zone": document.get("time_zone", "UTC"),
        "days": [(d, DAY_LABELS[d], ", ".join(f"{a}-{b}" for a, b in hours.get(d, []))) for d in DAYS],
        "holidays": "\n".join(holidays),
        "closures": "\n".join(closures),
        "note": "",
    }


def _document(post: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, list[int]]]:
    """The calendar document from the form; problems found reading it, by form field; and for the
    holidays and closures, which line of their box each entry came from."""
    problems: dict[str, str] = {}
    lines: dict[str, list[int]] = {"holidays": [], "closures": []}
    hours: dict[str, list[list[str]]] = {}
    for day in DAYS:
        text = post.get(f"hours_{day}", "").strip()
        if not text:
            continue
        spans = []
        for part in text.replace(";", ",").split(","):
            bits = [b.strip() for b in part.replace("–", "-").split("-")]
            if len(bits) != 2:
                problems[f"hours_{day}"] = f"{part.strip()!r}: write spans as 09:00-17:00, separated by commas"
                break
            spans.append(bits)
        hours[day] = spans
    holidays: list[Any] = []
    for number, line in enumerate(post.get("holidays", "").splitlines(), start=1):
        date, _, label = line.strip().partition(" ")
        if date:
            holidays.append({"date": date, "label": label.strip()} if label.strip() else date)
            lines["holidays"].append(number)
    closures: list[dict[str, str]] = []
    for number, line in enumerate(post.get("closures", "").splitlines(), start=1):
        if not line.strip():
            continue
        start, arrow, rest = line.replace("->", "→").partition("→")
        end, _, label = rest.strip().partition(" ")
        if not arrow or not end:
            problems["closures"] = f"line {number}: write a closure as 2026-12-24T13:00 → 2026-12-24T17:00 label"
            break
        closures.append(
            {"from": start.strip(), "to": end.strip(), **({"label": label.strip()} if label.strip() else {})}
        )
        lines["closures"].append(number)
    document = {"time_zone": post.get("time_zone", "").strip(), "hours": hours, "holidays": holidays,
                "closures": closures}  # fmt: skip
    return document, problems, lines


def _field_of(path: str, lines: dict[str, list[int]]) -> tuple[str, str]:
    """The form field a calendar error's path points at, and a prefix naming the line of a box."""
    head = path.split("[")[0].split(".")[0]
    if head == "hours":
        day = path.split(".")[1].split("[")[0] if "." in path else ""
        return (f"hours_{day}" if day in DAYS else "hours_mon"), ""
    if head in lines and "[" in path:
        index = int(path.split("[")[1].split("]")[0])
        found = lines[head]
        return head, f"line {found[index] if index < len(found) else index + 1}: "
    return (head if head in ("time_zone", "holidays", "closures") else "time_zone"), ""


@require_http_methods(["GET", "POST"])
@capability_required(Capability.USER_ADMIN)
def calendar_page(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    versions = calendar_versions(team.pk)
    errors: dict[str, str] = {}
    values = _form_values(versions[0] if versions else None)
    status = 200
    if request.method == "POST":
        document, errors, lines = _document(request.POST)
        if not errors:
            try:
                version = calendars.calendar_save(
                    team=team, document=document, acting_user=acting(request), note=request.POST.get("note", "")
                )
            except AccordError as exc:
                field, prefix = _field_of(exc.field or "", lines)
                errors[field] = prefix + exc.message.partition(": ")[2] if exc.field else exc.message
            else:
                messages.success(request, f"Saved version {version.number} of {team.name}'s calendar.")
                return see_other("calendar", team.pk)
        values = {
            "time_zone": request.POST.get("time_zone", ""),
            "days": [(d, DAY_LABELS[d], request.POST.get(f"hours_{d}", "")) for d in DAYS],
            "holidays": request.POST.get("holidays", ""),
            "closures": request.POST.get("closures", ""),
            "note": request.POST.get("note", ""),
        }
        status = 422
    context = {"team": team, "versions": versions, "values": values, "errors": errors}
    return render(request, "web/sla/calendar.html", context, status=status)


# --------------------------------------------------------------------------- webhooks


@require_http_methods(["GET", "POST"])
@capability_required(Capability.USER_ADMIN)
def webhooks_page(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"kind": "webhook", "events": []}
    status = 200
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "kind": request.POST.get("kind", "webhook"),
            "url": request.POST.get("url", "").strip(),
            "events": request.POST.getlist("events"),
        }
        try:
            made = subscriptions.subscription_create(data=values, acting_user=acting(request))
        except AccordError as exc:
            errors[exc.field or "name"] = exc.message.partition(": ")[2] if exc.field else exc.message
            status = 422
        else:
            request.session["accord_new_secret"] = [made.pk, made.secret]
            messages.success(request, f"Subscribed {made.name}.")
            return see_other("webhook", made.pk)
    context = {
        "subscriptions": list(Subscription.objects.all()),
        "events": EVENTS,
        "values": values,
        "errors": errors,
    }
    return render(request, "web/sla/webhooks.html", context, status=status)


@require_GET
@capability_required(Capability.USER_ADMIN)
def webhook_page(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    shown = request.session.pop("accord_new_secret", None)
    secret = shown[1] if shown and shown[0] == subscription.pk else None
    log = list(notify_queries.delivery_log(subscription.pk)[:100])
    return render(request, "web/sla/webhook.html", {"subscription": subscription, "secret": secret, "log": log})


@require_POST
@capability_required(Capability.USER_ADMIN)
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    subscriptions.subscription_update(
        subscription=subscription, data={"active": not subscription.active}, acting_user=acting(request)
    )
    messages.success(request, f"{subscription.name} is {'on' if subscription.active else 'off'}.")
    return see_other("webhook", subscription.pk)


@require_POST
@capability_required(Capability.USER_ADMIN)
def delivery_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("message"), pk=pk)
    subscriptions.delivery_resend(delivery=delivery, acting_user=acting(request))
    messages.success(request, "Queued to be sent again.")
    return see_other("webhook", delivery.subscription_id) if delivery.subscription_id else see_other("webhooks")
