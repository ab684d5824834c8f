"""Recent activity: the latest events across every contact and anonymous visitor, kept live by polling."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accord.accounts.queries import browser_key_prefixes
from accord.core import clock
from accord.tracking import queries
from accord.web.forms import ActivityFilterForm
from accord.web.presenters.activity import ACTIVITY_TYPES, event_row, minutes_chart, sender_label
from accord.web.views.base import partial_wanted

PAGE = "web/activity.html"
POLL_SECONDS = 3


def _stats(now: dt.datetime) -> dict[str, Any]:
    minutes = queries.events_per_minute(now=now)
    return {
        "hour": queries.events_since(now - dt.timedelta(hours=1), now),
        "minutes": minutes,
        "minutes_chart": minutes_chart(minutes),
        "now": now,
    }


@require_GET
def activity(request: HttpRequest) -> HttpResponse:
    """The feed. With `after` (what the page polls every few seconds), only the events stored
    since that id, to put on top of the list, with the new `after` and the refreshed counts."""
    form = ActivityFilterForm(request.GET)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    kind, forms_only, after = filters.get("type") or "", bool(filters.get("forms")), filters.get("after")
    newest = queries.newest_event_id()  # read first: nothing stored after it is skipped by the next poll
    events = queries.recent_events(kind=kind, forms_only=forms_only, after=after, upto=newest)
    browser_keys = browser_key_prefixes()
    context = {
        "rows": [(event_row(e, browser_keys=browser_keys), sender_label(e)) for e in events],
        "filters": {"type": kind, "forms": forms_only},
        "types": ACTIVITY_TYPES,
        "newest": max(newest, after or 0),
        "limit": queries.ACTIVITY_LIMIT,
        "poll_seconds": POLL_SECONDS,
        **_stats(clock.now()),
    }
    if after is not None:
        return render(request, f"{PAGE}#poll", context)
    if partial_wanted(request, "activity-live"):
        return render(request, f"{PAGE}#live", context)
    return render(request, PAGE, context)
