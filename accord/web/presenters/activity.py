"""Tracked events as a person reads them (the activity feed and a contact's timeline), who sent
them, and the feed's events per minute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from accord.tracking.domain import FORM_SUBMITTED
from accord.tracking.models import Event
from accord.tracking.queries import Minute

ACTIVITY_TYPES = {"page": "Page views", "track": "Tracked events", "identify": "Identifies"}


@dataclass(frozen=True)
class EventRow:
    """One tracked event as a person reads it: what happened, on which page or offer, and where
    the visit came from. Reads the event's columns and properties only (never its context)."""

    event: Event
    kind: str  # page, form, identify, email, webinar, demo, subscribe, unsubscribe, track, other
    icon: str  # an icon name for {% icon %}
    label: str  # "Viewed a page", "Submitted a form"…
    summary: str  # the page title, the offer, the email's subject…
    detail: str  # the path, the form, the webinar's length…
    campaign: str  # the campaign's name when the event came through one
    utm: str  # "source / medium" when the event carries UTM tags
    referrer_host: str  # the outside site the visit came from

    is_stage = False

    @property
    def at(self) -> dt.datetime:
        return self.event.timestamp

    @property
    def key(self) -> str:
        return f"e{self.event.pk}"

    @property
    def is_form(self) -> bool:
        return self.kind == "form"


# Track events Accord knows by name: (kind, icon, label).
TRACKED: dict[str, tuple[str, str, str]] = {
    FORM_SUBMITTED: ("form", "form", "Submitted a form"),
    "Email Opened": ("email", "mail", "Opened an email"),
    "Email Clicked": ("email", "click", "Clicked a link in an email"),
    "Webinar Attended": ("webinar", "video", "Attended a webinar"),
    "Demo Requested": ("demo", "calendar", "Requested a demo"),
    "Subscribed": ("subscribe", "bell", "Subscribed"),
    "Unsubscribed": ("unsubscribe", "unsubscribe", "Unsubscribed"),
}
OTHER_TYPES = {"screen": "Viewed a screen", "group": "Joined a group", "alias": "Linked two ids"}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def _properties_line(properties: Mapping[str, Any], limit: int = 3) -> str:
    """A few of an unknown event's properties, as `key: value` pairs."""
    shown = []
    for key, value in properties.items():
        if isinstance(value, (str, int, float, bool)) and value != "":
            shown.append(f"{key}: {value}")
        if len(shown) == limit:
            break
    return ", ".join(shown)


# Traits as a person reads them, for what a web form submitted.
TRAIT_LABELS = {
    "firstName": "First name", "lastName": "Last name", "name": "Name", "title": "Title", "phone": "Phone",
    "company": "Company", "country": "Country", "consent": "Consent",
}  # fmt: skip


def _submitted(props: Mapping[str, Any], limit: int = 8) -> str:
    """What a web form sent, field by field, the known fields first in a fixed order (stored JSON
    keeps no order): 'First name: Ada · Title: Intern · Consent: withdrawn'."""
    shown = []
    order = list(TRAIT_LABELS)
    for key, value in sorted(
        props.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0])
    ):
        if key == "email" or not isinstance(value, (str, int, float, bool)) or value == "":
            continue
        if key == "consent" and isinstance(value, bool):
            value = "given" if value else "withdrawn"
        shown.append(f"{TRAIT_LABELS.get(key, key)}: {value}")
        if len(shown) == limit:
            break
    return " · ".join(shown)


def event_row(event: Event, *, browser_keys: frozenset[str] = frozenset()) -> EventRow:
    """`browser_keys`: the prefixes of browser keys, whose identify calls are what a web form sent."""
    props = event.properties if isinstance(event.properties, Mapping) else {}
    kind, icon, label, summary, detail = "other", "bolt", OTHER_TYPES.get(event.type, event.type), "", ""
    if event.type == "identify" and event.sent_with in browser_keys:
        # A browser key fills only empty fields: the submission is shown as sent, for sales to see.
        kind, icon, label = "identify", "form", "Submitted on a form"
        summary = _text(props.get("email"))
        detail = _submitted(props)
    elif event.type == "page":
        kind, icon, label = "page", "page", "Viewed a page"
        summary = _text(props.get("title")) or event.name or event.path or event.url
        detail = event.path if summary != event.path else ""
    elif event.type == "identify":
        kind, icon, label = "identify", "user", "Identified"
        summary = _text(props.get("email"))
        name = " ".join(p for p in (_text(props.get("firstName")), _text(props.get("lastName"))) if p)
        detail = ", ".join(p for p in (name, _text(props.get("company"))) if p)
    elif event.type == "track":
        kind, icon, label = TRACKED.get(event.name, ("track", "bolt", f"Tracked “{event.name}”"))
        if kind == "form":
            summary = event.offer or _text(props.get("offer")) or "a form"
            detail = " · ".join(p for p in (_text(props.get("form")), event.path) if p)
        elif kind == "email":
            summary = _text(props.get("email_subject")) or _text(props.get("subject"))
            detail = _text(props.get("link_url")) or _text(props.get("campaign_name"))
        elif kind == "webinar":
            summary = _text(props.get("webinar"))
            minutes = props.get("minutes")
            parts = ["on demand" if props.get("on_demand") else "live"]
            if isinstance(minutes, (int, float)) and not isinstance(minutes, bool):
                parts.append(f"{minutes:g} minutes")
            detail = ", ".join(parts)
        elif kind in ("subscribe", "unsubscribe"):
            summary = _text(props.get("list"))
        elif kind == "demo":
            detail = event.path
        else:
            summary = _properties_line(props)
            detail = event.path
    elif event.type in OTHER_TYPES:
        summary = event.name
    referrer = _host(event.referrer) if event.referrer else ""
    if referrer and referrer == _host(event.url):
        referrer = ""  # a link inside the same site
    utm = " / ".join(p for p in (event.utm_source, event.utm_medium) if p)
    return EventRow(
        event=event,
        kind=kind,
        icon=icon,
        label=label,
        summary=summary,
        detail=detail,
        campaign=event.campaign.name if event.campaign_id and event.campaign else (event.utm_campaign or ""),
        utm=utm,
        referrer_host=referrer,
    )


def sender_label(event: Event) -> str:
    """Who sent an event: its contact, else the anonymous browser it came from."""
    if event.contact_id is not None and event.contact is not None:
        return str(event.contact)
    if event.anonymous_id:
        return f"Anonymous visitor {event.anonymous_id[:8]}"
    return f"Unknown sender {event.user_id[:24]}" if event.user_id else "Unknown sender"


def minutes_chart(minutes: list[Minute]) -> dict[str, Any]:
    """A Plotly figure: events per minute as small bars."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [f"{m.start:%H:%M}" for m in minutes],
                "y": [m.count for m in minutes],
                "marker": {"color": "#3454d1"},
                "hovertemplate": "%{x}: %{y} events<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 32, "r": 8, "t": 8, "b": 32},
            "height": 160,
            "bargap": 0.15,
            "xaxis": {"type": "category", "nticks": 7, "tickangle": 0},
            "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7ec", "tickformat": "d"},
        },
    }
