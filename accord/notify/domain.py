"""Notifications, the pure part: the events Accord tells people about, webhook signatures, the
retry schedule, and which URLs a subscription may post to. No Django, no I/O.

A webhook body is signed as Stripe signs its own: the header `Accord-Signature: t=<unix
seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the subscription's secret>`. A receiver
recomputes it, compares in constant time, and refuses a `t` outside its replay window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum
from urllib.parse import urlsplit


class Event(StrEnum):
    HANDOFF_ASSIGNED = "handoff.assigned"  # to the rep it was routed or reassigned to
    HANDOFF_QUEUED = "handoff.queued"  # nobody could take it: to the team's manager
    SLA_REMINDER = "sla.reminder"  # a milestone is about to breach: to its owner
    SLA_BREACHED = "sla.breached"  # escalation: to the team's manager (and the owner)
    HANDOFF_REJECTED = "handoff.rejected"  # to marketing
    HANDOFF_RECYCLED = "handoff.recycled"  # to marketing
    OPPORTUNITY_CREATED = "deal.opportunity_created"  # to the contact's campaign owner
    DEAL_WON = "deal.won"
    DEAL_LOST = "deal.lost"
    REENGAGE_REACHED = "contact.reengage_reached"  # a recycled contact's date has come: to marketing


EVENTS = tuple(e.value for e in Event)

# What each event is, worded for the person choosing how to hear of it.
EVENT_LABELS = {
    Event.HANDOFF_ASSIGNED: "A hand-off is assigned to me",
    Event.HANDOFF_QUEUED: "A hand-off waits in my team's queue with nobody to take it",
    Event.SLA_REMINDER: "A milestone of mine is about to breach",
    Event.SLA_BREACHED: "A milestone breached (mine, or in a team I manage)",
    Event.HANDOFF_REJECTED: "Sales rejected a lead of mine",
    Event.HANDOFF_RECYCLED: "Sales recycled a lead of mine",
    Event.OPPORTUNITY_CREATED: "An opportunity was created from a lead of mine",
    Event.DEAL_WON: "A deal was won",
    Event.DEAL_LOST: "A deal was lost",
    Event.REENGAGE_REACHED: "A recycled contact's re-engage date has come",
}


class EmailMode(StrEnum):
    """How a person hears of one event by email; the in-app notification is written either way."""

    INSTANT = "instant"  # an email for each notification, as it happens
    DIGEST = "digest"  # gathered into one email a day, at the digest hour in the person's time zone
    OFF = "off"  # no email: the in-app notification only


DIGEST = "notify.digest"  # a digest's message; never an Event, so no subscription receives it
DIGEST_MOST = 50  # notifications listed in one digest; the rest are counted and linked


def digest_key(user_id: int, day: str) -> str:
    """A person's digest for one local day: at most one is ever written."""
    return f"{DIGEST}:{user_id}:{day}"


def digest_due(local_hour: int, digest_hour: int) -> bool:
    """Whether a person's digest for today may go: from the digest hour, local time, onwards."""
    return local_hour >= digest_hour


def digest_text(items: list[tuple[str, str, str]], *, base_url: str, more: int = 0) -> str:
    """A digest's body: each (title, when, link) on a line of its own, then how many more there are."""
    lines = []
    for title, when, link in items:
        lines.append(f"- {title} ({when})")
        if link:
            lines.append(f"  {base_url}{link}")
    if more:
        lines.append(f"… and {more} more: {base_url}/notifications/")
    return "\n".join(lines)


SIGNATURE_HEADER = "Accord-Signature"
REPLAY_WINDOW = 300  # seconds a receiver should accept a signature's timestamp for
MAX_ATTEMPTS = 8  # then the delivery is dead
FIRST_RETRY = 30  # seconds; doubled after each failed attempt …
LAST_RETRY = 3600  # … up to an hour


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The `Accord-Signature` header's value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(header: str, body: bytes, secret: str, *, now: int, window: int = REPLAY_WINDOW) -> bool:
    """Whether `header` signs `body` under `secret` within `window` seconds of `now` (what a receiver does)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > window:
        return False
    expected = signature(secret, body, timestamp).rpartition("v1=")[2]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def retry_after(attempts: int) -> int | None:
    """Seconds to wait after `attempts` failed attempts, or None: no more tries (dead)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(LAST_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))


def webhook_url_problem(url: object) -> str | None:
    """Why `url` cannot take webhooks, or None: it must be http(s) with a host, at most 2,000 characters."""
    if not isinstance(url, str) or not url or len(url) > 2000 or not url.isprintable() or " " in url:
        return "must be an http(s) URL such as https://example.com/hooks/accord"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return f"must be http or https, not {parts.scheme or 'no scheme'}"
    if not parts.hostname:
        return "has no host"
    if parts.username or parts.password:
        return "must not carry a user name or password; the signature authenticates Accord"
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return "has a port that is not a number from 1 to 65535"
    return None


def slack_url_problem(url: object) -> str | None:
    """Why `url` is not an incoming-webhook URL: Slack's (https://hooks.slack.com/services/T…/B…/…),
    or a Slack-compatible one whose path has /hooks/ (Mattermost, Rocket.Chat)."""
    problem = webhook_url_problem(url)
    if problem:
        return problem
    assert isinstance(url, str)
    parts = urlsplit(url)
    if parts.hostname == "hooks.slack.com":
        pieces = [p for p in parts.path.split("/") if p]
        if parts.scheme == "https" and len(pieces) == 4 and pieces[0] == "services":
            return None
        return "is not a Slack incoming-webhook URL (https://hooks.slack.com/services/T…/B…/…)"
    if "slack.com" in (parts.hostname or ""):
        return "is a Slack page, not an incoming-webhook URL (https://hooks.slack.com/services/…)"
    if "/hooks/" not in parts.path:
        return "is not an incoming-webhook URL: Slack's are https://hooks.slack.com/services/…, Mattermost's …/hooks/…"
    return None
